module NotebookSlm.Tests.Lab.StudiesTests

open System
open System.IO
open Expecto
open NotebookSlm.Reporting
open NotebookSlm.Benchmarks
open NotebookSlm.Lab
open NotebookSlm.Tests.Common

/// A throw-away git repository with one code file, committed.
let repo () =
    let dir = Path.Combine(Path.GetTempPath(), $"notebookslm-repo-{Guid.NewGuid():N}")
    Directory.CreateDirectory(Path.Combine(dir, "src")) |> ignore
    let git args =
        let rc, out, err = runProcess "git" args dir [ "GIT_AUTHOR_NAME", "t"; "GIT_AUTHOR_EMAIL", "t@t"; "GIT_COMMITTER_NAME", "t"; "GIT_COMMITTER_EMAIL", "t@t" ] 30000
        if rc <> 0 then failwith $"git {args}: {err}"
        out.Trim()
    git [ "init"; "-q" ] |> ignore
    let commit (file: string) (text: string) =
        File.WriteAllText(Path.Combine(dir, file), text)
        git [ "add"; "-A" ] |> ignore
        git [ "commit"; "-q"; "-m"; file ] |> ignore
        git [ "rev-parse"; "HEAD" ]
    dir, commit

let study = { Name = "toy"; Command = "dotnet fsi toy.fsx"; Code = [ "src" ]; Render = fun _ -> [] }

/// What a results file's stamp may say.
type Stamp = { Commit: string; Dirty: bool; Profile: string; Libraries: LibraryVersions }

let resultsAt (dir: string) (commit: string) (configure: Stamp -> Stamp) =
    let path = Path.Combine(dir, "toy.json")
    let s = configure { Commit = commit; Dirty = false; Profile = "full"; Libraries = LibraryVersions.Current }
    let run = RunInfo(s.Commit, s.Dirty, s.Profile, "2026-01-01T00:00:00Z", MachineInfo.Capture(), 2, s.Libraries)
    ResultsFile.Write(path, "toy", run, {| n = 1 |}, {| x = 2 |}) |> ignore
    path

let librariesWith (torchSharp: string) (dotnet: string) =
    let l = LibraryVersions.Current
    LibraryVersions(dotnet, torchSharp, l.LibTorch, l.OnnxRuntime, l.TokenizersDotNet)

[<Tests>]
let tests =
    testList "Studies and the README" [
        test "results are fresh at or after the last change to their code, stale before it, and say why" {
            let dir, commit = repo ()
            let first = commit "src/a.cs" "1"
            let path = resultsAt dir first id
            Expect.equal (Studies.staleness dir study path) Fresh "made at the code's last change"
            let docs = commit "notes.md" "not code"
            Expect.equal (Studies.staleness dir study path) Fresh "a change elsewhere leaves them fresh"
            resultsAt dir docs id |> ignore
            Expect.equal (Studies.staleness dir study path) Fresh "made after the code's last change"
            let second = commit "src/a.cs" "2"
            match Studies.staleness dir study (resultsAt dir docs id) with
            | Stale why ->
                for f in [ docs.Substring(0, 10); second.Substring(0, 10); "dotnet fsi toy.fsx" ] do
                    Expect.stringContains why f "the reason names both commits and the command"
            | other -> failtest $"expected stale, got {other}"
        }

        test "the stamp is dirty for uncommitted code, not for the results, notebooks and README that runs rewrite" {
            let dir, commit = repo ()
            Directory.CreateDirectory(Path.Combine(dir, "experiments", "results")) |> ignore
            Directory.CreateDirectory(Path.Combine(dir, "notebooks")) |> ignore
            File.WriteAllText(Path.Combine(dir, "experiments", "results", "peer.json"), "{}")
            File.WriteAllText(Path.Combine(dir, "notebooks", "02.ipynb"), "{}")
            File.WriteAllText(Path.Combine(dir, "README.md"), "readme")
            let head = commit "src/a.cs" "class A {}"
            let dirtyIn (sub: string) = let _, d = RunInfo.GitCommit(workingDirectory = Path.Combine(dir, sub)) in d
            Expect.equal (fst (RunInfo.GitCommit(workingDirectory = dir))) head "HEAD"
            Expect.isFalse (dirtyIn "") "a clean tree"
            File.WriteAllText(Path.Combine(dir, "experiments", "results", "peer.json"), "{\"new\": 1}")
            File.WriteAllText(Path.Combine(dir, "notebooks", "02.ipynb"), "{\"outputs\": 1}")
            File.WriteAllText(Path.Combine(dir, "README.md"), "regenerated")
            Expect.isFalse (dirtyIn "") "rewritten results, notebooks and README are outputs"
            Expect.isFalse (dirtyIn "src") "the same from a subfolder"
            File.WriteAllText(Path.Combine(dir, "src", "a.cs"), "class A { int x; }")
            Expect.isTrue (dirtyIn "") "changed code is dirty"
            Expect.isTrue (dirtyIn "experiments") "from any folder of the tree"
            Directory.Delete(dir, true)
        }

        test "dirty, smoke, foreign-commit and other-library results are stale; a missing file is missing" {
            let dir, commit = repo ()
            let head = commit "src/a.cs" "1"
            let isStale (configure: Stamp -> Stamp) (fragment: string) =
                match Studies.staleness dir study (resultsAt dir head configure) with
                | Stale why -> Expect.stringContains why fragment "reason"
                | other -> failtest $"expected stale ({fragment}), got {other}"
            isStale (fun r -> { r with Dirty = true }) "uncommitted changes"
            isStale (fun r -> { r with Profile = "smoke" }) "smoke run"
            isStale (fun r -> { r with Commit = String('1', 40) }) "does not have"
            isStale (fun r -> { r with Libraries = librariesWith "0.106.0" LibraryVersions.Current.DotNet }) "0.106.0"
            Expect.equal (Studies.staleness dir study (resultsAt dir head (fun r -> { r with Libraries = librariesWith LibraryVersions.Current.TorchSharp "10.0.99" }))) Fresh
                ".NET's patch release alone does not make results stale"
            match Studies.staleness dir study (Path.Combine(dir, "none.json")) with
            | Missing why -> Expect.stringContains why "dotnet fsi toy.fsx" "says what to run"
            | other -> failtest $"expected missing, got {other}"
        }

        test "the README is not regenerated from missing results: the command fails naming every study, and their sections keep their text" {
            let dir, commit = repo ()
            let readme = String.Join("\n", [ for s in "presets" :: (Studies.all |> List.map (fun s -> s.Name)) -> $"<!-- {s}:begin -->\nold {s}\n<!-- {s}:end -->" ])
            commit "README.md" readme |> ignore
            let e = Expect.throwsC (fun () -> Readme.write dir |> ignore) id
            for s in Studies.all do Expect.stringContains e.Message $"{s.Name}: " $"study {s.Name} reported"
            let text = File.ReadAllText(Path.Combine(dir, "README.md"))
            for s in Studies.all do Expect.stringContains text $"old {s.Name}" $"{s.Name}'s section is left as it was"
            Expect.stringContains text "| 330m-encdec-2_3 | encoder-decoder | 32 | 12 |" "the preset table (no results file) is rendered"
            let differ, problems = Readme.check dir
            Expect.equal differ [] "the rendered sections now match"
            Expect.equal problems.Length Studies.all.Length "--check still reports every missing results file"
        }

        test "each study's code paths exist in this repository" {
            for s in Studies.all do
                for p in s.Code do
                    Expect.isTrue (File.Exists(Path.Combine(repoRoot, p)) || Directory.Exists(Path.Combine(repoRoot, p))) $"{s.Name}: {p} exists"
        }

        test "a study's renderer gives the same numbers to the README (Markdown) and notebooks (HTML)" {
            let r = GenerationBench.Run(NotebookSlm.Models.Presets.Micro.EncDec, 8, 4, repeats = 1)
            let path = Path.Combine(Path.GetTempPath(), $"notebookslm-bench-{Guid.NewGuid():N}.json")
            ResultsFile.Write(path, "bench-generate", RunInfo.Capture("full", 1), {| dtype = "fp32"; repeats = 1; batch = 1 |}, {| rows = [ r ] |}) |> ignore
            let blocks = Render.benchGenerate (ResultsFile.Read path)
            let md, html = Report.markdown blocks, Report.html blocks
            let speed = r.Cached.DecodeTokensPerSecond.ToString("F1")
            for text in [ md; html ] do
                Expect.stringContains text "micro-encdec" "the preset's row"
                Expect.stringContains text speed "the cached speed, formatted once"
            Expect.stringContains md "Measured by `dotnet fsi build.fsx bench`" "Markdown keeps inline code"
            Expect.stringContains html "<code>dotnet fsi build.fsx bench</code>" "HTML turns it into <code>"
            Expect.stringContains md "TorchSharp 0.107.0 (libtorch 2.10.0)" "library versions in the stamp"
        }
    ]
