// The README's generated sections: `dotnet fsi build.fsx readme [--check]`.
//
// Every section between `<!-- NAME:begin -->` and `<!-- NAME:end -->` is the renderer of study
// NAME (NotebookSlm.Lab, Studies.all) over its committed full-profile results file, plus the
// preset table. It fails, naming each, when a results file is missing or stale (produced before
// the last change to the code that produces it): the sections of fresh results are rewritten,
// those of stale ones keep their text, and the command exits 1. `--check` writes nothing and
// fails when a section differs from what its results render to, or any results are stale.

#load "common.fsx"

open NotebookSlm.Lab

let root = Paths.root.Value
let check = fsi.CommandLineArgs |> Array.contains "--check"
try
    if check then
        match Readme.check root with
        | [], [] -> printfn "README.md is up to date with experiments/results (%d studies, all fresh)" Studies.all.Length
        | differ, problems ->
            if not differ.IsEmpty then
                eprintfn "README.md differs from what its results render to in: %s; run `dotnet fsi build.fsx readme`" (String.concat ", " differ)
            for p in problems do eprintfn "stale or missing: %s" p
            exit 1
    else printfn "regenerated %s" (Readme.write root)
with e ->
    eprintfn "%s" e.Message
    exit 1
