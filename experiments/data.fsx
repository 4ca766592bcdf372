// The offline corpora and the local tokenizer: `dotnet fsi build.fsx data [--profile full]`.
//
// Builds the five corpora from real local text (qa-local, sum-local, code-local, essay-local,
// then edu-local decontaminated against the others' validation and test sets), trains a
// SentencePiece tokenizer on edu-local, and measures every corpus in Phi-3.5 tokens (the
// paper's tokenizer) and in tokens of the local one. Smoke builds 5% of each corpus and a
// 2k tokenizer under artifacts/smoke/data; full builds everything under artifacts/data and
// writes experiments/results/data.json, which the README and notebook 01 quote.

#load "common.fsx"

open System.IO
open System.Diagnostics
open NotebookSlm.Data
open NotebookSlm.Corpora
open NotebookSlm.Reporting
open NotebookSlm.Tokenization
open NotebookSlm.Lab

let profile = Profile.current ()
let root = Profile.pick (Paths.artifacts (Path.Combine("smoke", "data"))) (Paths.artifacts "data")
let scale = Profile.pick 0.05 1.0
let vocab = Profile.pick 2048 8192

// ---- 1. corpora ----
let clock = Stopwatch.StartNew()
let manifests = CorpusBuilder.Build("all", CorpusBuildOptions(Root = root, Scale = scale), fun line -> printfn "%s" line)
let buildSeconds = clock.Elapsed.TotalSeconds

// ---- 2. a local tokenizer, trained on edu-local ----
let trained = LocalTokenizer.Ensure(CorpusBuildOptions(Root = root, Scale = scale), vocab, fun s -> printfn "%s" s)
let tokenizerPath, tokenizerSeconds = trained.Path, trained.TrainSeconds
let phi = AutoTokenizer.Load AutoTokenizer.Phi35
let local = AutoTokenizer.Load tokenizerPath

// ---- 3. sizes in tokens ----
type Fields = { Examples: int64; Source: float; Target: float }

/// Train-split totals of source-side and target-side tokens under a tokenizer.
let measure (m: Manifest) (t: ITokenizer) =
    let path = m.SplitPath(Path.Combine(root, m.Name), "train")
    let count (s: string) = float (t.Encode(s).Length)
    let pairs : (string * string) seq =
        match m.Format with
        | "documents" -> Readers.DocumentsJsonl.Read path |> Seq.map (fun d -> d.Text, "")
        | "squad" -> Tasks.Qa(Readers.SquadJson.Read path) |> Seq.map (fun p -> p.Source, p.Target)
        | "xsum" -> Readers.XsumJsonl.Read path |> Seq.map (fun x -> x.Document, x.Summary)
        | "codexglue" -> Readers.CodeXGlue.Read path |> Seq.map (fun c -> c.Java, c.CSharp)
        | "ielts" -> Readers.IeltsCsv.Read path |> Seq.map (fun e -> e.Prompt, e.Text)
        | f -> failwith $"no reader for format {f}"
    pairs |> Seq.fold (fun acc (s, t') -> { Examples = acc.Examples + 1L; Source = acc.Source + count s; Target = acc.Target + count t' })
                      { Examples = 0L; Source = 0.0; Target = 0.0 }

let rows =
    [ for m in manifests ->
        let p, l = measure m phi, measure m local
        {| name = m.Name; format = m.Format; recipe_version = m.RecipeVersion; seed = m.Seed
           train = m.Examples "train"; validation = m.Examples "val"; test = m.Examples "test"
           phi_tokens = {| source = p.Source; target = p.Target |}; local_tokens = {| source = l.Source; target = l.Target |}
           build_seconds = m.BuildSeconds; sources = m.Sources; removed = m.Removed; labels = m.Labels |} ]

let path =
    Results.write "data" System.Environment.ProcessorCount
        {| scale = scale; root = Path.GetRelativePath(Paths.root.Value, root); vocab = vocab |}
        {| build_seconds = buildSeconds
           tokenizer = {| name = local.Name; path = Path.GetRelativePath(Paths.root.Value, tokenizerPath); vocab = local.VocabSize; train_seconds = tokenizerSeconds |}
           corpora = rows |}
printfn "%s\nwrote %s" (Report.text (Render.Data.blocks (Results.read "data"))) path
