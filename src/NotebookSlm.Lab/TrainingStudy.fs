namespace NotebookSlm.Lab

open System
open System.IO
open System.Text.Json.Nodes
open Plotly.NET
open NotebookSlm.Corpora
open NotebookSlm.Sweeps
open NotebookSlm.Tokenization

/// Pretraining and fine-tuning both architectures on the local data, then scoring them (paper
/// 3.3; issue 10 points 9 and 10): what the quickstart's training stage and notebook 02 run.
/// Four pretraining runs on edu-local at equal training tokens: the tiny 2/3-1/3 encoder-decoder
/// (span corruption) and the tiny decoder-only (causal LM), both with Muon in fp32, and the
/// encoder-decoder again with AdamW and in BF16; then each Muon fp32 model fine-tuned on qa-local
/// and scored on its validation split (ROUGE-L and SQuAD 2.0 EM/F1).
module TrainingStudy =
    let private log (s: string) = eprintfn "%s" s

    type Sizes =
        { PretrainSteps: int; FinetuneSteps: int; MicroBatch: int; InputLength: int; MaxSource: int; MaxTarget: int
          Documents: int; EvalExamples: int; MaxNewTokens: int; Vocab: int }

    let sizes () =
        Profile.pick
            { PretrainSteps = 30; FinetuneSteps = 30; MicroBatch = 4; InputLength = 64; MaxSource = 192; MaxTarget = 24
              Documents = 400; EvalExamples = 16; MaxNewTokens = 16; Vocab = 2048 }
            { PretrainSteps = 600; FinetuneSteps = 300; MicroBatch = 8; InputLength = 128; MaxSource = 384; MaxTarget = 32
              Documents = 20000; EvalExamples = 200; MaxNewTokens = 24; Vocab = 8192 }

    let dataOptions () =
        CorpusBuildOptions(Root = Profile.pick (Paths.artifacts (Path.Combine("smoke", "data"))) (Paths.artifacts "data"), Scale = Profile.pick 0.05 1.0)

    /// Builds a corpus of this profile unless its manifest is there already.
    let ensureCorpus (name: string) =
        let o = dataOptions ()
        if not (File.Exists(Path.Combine(CorpusBuilder.Folder(o, name), Manifest.FileName))) then CorpusBuilder.Build(name, o, Action<string>(log)) |> ignore

    /// The local corpora (edu-local, qa-local) and the tokenizer's path, built on first use.
    let tokenizerPath () =
        let t = LocalTokenizer.Ensure(dataOptions (), (sizes ()).Vocab, Action<string>(log))
        for corpus in [ CorpusBuilder.EduLocal; "qa-local" ] do ensureCorpus corpus
        t.Path

    let tokenizer () = AutoTokenizer.Load(tokenizerPath ())

    /// TrainingConfig overrides for a run of `steps`: the paper's recipe (3.3: Muon, warmup then
    /// cosine, clipping 1.0) with a tenth of the steps as warmup and a rate that moves a tiny
    /// model in a few hundred steps; one evaluation every fifth of the run.
    let overrides (steps: int) (microBatch: int) (globalBatch: int) (inputLength: int) (maxSource: int) (maxTarget: int) =
        let n (v: 'T) = Sweeping.node (string v)
        JsonObject(dict [ "steps", n steps; "warmup_steps", n (max 2 (steps / 10)); "lr", n "1e-3"
                          "micro_batch", n microBatch; "global_batch", n globalBatch; "input_length", n inputLength
                          "max_source_length", n maxSource; "max_target_length", n maxTarget; "eval_every", n (max 5 (steps / 5))
                          "eval_batches", n 4; "samples", n 1; "checkpoint_every", n (max 5 (steps / 10)); "keep_last", n 1 ])

    /// The four runs: (name, preset, pretraining optimizer, precision, fine-tuned on the task).
    /// The two that are fine-tuned come first, so that they start first.
    let runs =
        [ "encdec-muon", "tiny-encdec-2_3", "muon", "fp32", true
          "deconly-muon", "tiny-deconly", "muon", "fp32", true
          "encdec-adamw", "tiny-encdec-2_3", "adamw", "fp32", false
          "encdec-bf16", "tiny-encdec-2_3", "muon", "bf16", false ]

    /// The study as a sweep of `train-eval` cells (one process each, one thread each, as many at
    /// once as the cores hold): each pretrains on edu-local; the Muon fp32 pair is then fine-tuned
    /// on qa-local and scored on its validation split.
    let spec () =
        let s = sizes ()
        let root = Paths.root.Value
        let relative (p: string) = Path.GetRelativePath(root, p).Replace('\\', '/')
        let tokenizer = relative (tokenizerPath ())
        let o = dataOptions ()
        let edu, qa = CorpusBuilder.Folder(o, CorpusBuilder.EduLocal), CorpusBuilder.Folder(o, "qa-local")
        let manifest (f: string) = File.ReadAllText(Path.Combine(f, Manifest.FileName))
        let version = Convert.ToHexString(Security.Cryptography.SHA256.HashData(Text.Encoding.UTF8.GetBytes(manifest edu + "\n" + manifest qa))).Substring(0, 12).ToLowerInvariant()
        let pretrain (optimizer: string) (precision: string) =
            let x = overrides s.PretrainSteps s.MicroBatch (2 * s.MicroBatch) s.InputLength s.MaxSource s.MaxTarget
            x["optimizer"] <- Sweeping.node optimizer
            x["precision"] <- Sweeping.node precision
            x
        let cell (name: string, preset: string, optimizer: string, precision: string, tuned: bool) =
            JsonObject(dict [ "run", Sweeping.node name; "preset", Sweeping.node preset; "pretrain", pretrain optimizer precision :> JsonNode
                              "tasks", (if tuned then JsonArray(Sweeping.node (relative qa)) else JsonArray()) :> JsonNode ]) :> JsonNode
        SweepSpec(Name = $"training-{(Profile.current ()).Name}", Job = "train-eval",
                  Fixed = JsonObject(dict [ "seed", Sweeping.node 1; "tokenizer", Sweeping.node tokenizer; "pretrain_data", Sweeping.node (relative edu)
                                            "documents", Sweeping.node s.Documents; "eval_examples", Sweeping.node s.EvalExamples
                                            "max_new_tokens", Sweeping.node s.MaxNewTokens; "profile", Sweeping.node (Profile.current ()).Name
                                            "finetune", overrides s.FinetuneSteps s.MicroBatch (2 * s.MicroBatch) s.InputLength s.MaxSource s.MaxTarget :> JsonNode ]),
                  Axes = [| SweepAxis("config", [| for r in runs -> cell r |], Merge = true) |],
                  Resources = CellResources(1, Profile.pick 1536 4096, Profile.pick 10 240),
                  Code = Array.ofList (Studies.find "training").Code, DataVersion = version)

    /// Runs the study (resuming a stopped one) and writes this profile's "training" results; returns the path.
    let run () =
        let s = sizes ()
        let store = Sweeping.run "local" (spec ())
        let num (n: JsonNode) = match n with null -> nan | v -> v.GetValue<double>()
        let record (name: string) (preset: string) (parameters: int64) (summary: JsonNode) =
            {| name = name; preset = preset; parameters = parameters; objective = summary["objective"].GetValue<string>()
               optimizer = summary["optimizer"].GetValue<string>(); precision = summary["precision"].GetValue<string>()
               steps = summary["steps"].GetValue<int>(); source_tokens = summary["source_tokens"].GetValue<int64>()
               target_tokens = summary["target_tokens"].GetValue<int64>(); seconds = num (summary["seconds"])
               tokens_per_second = num (summary["tokens_per_second"]); final_loss = num (summary["final_loss"])
               best_val_loss = num (summary["best_val_loss"]); curve = summary["curve"].DeepClone() |}
        let cells = Sweeping.results store
        let count (p: JsonNode) = (p["job"]["parameter_count"]).GetValue<int64>()
        let pretraining =
            [ for cell, r, p in cells ->
                let run = cell.Config["run"].GetValue<string>()
                record $"pretrain-{run}" (cell.Config["preset"].GetValue<string>()) (count p) (r["pretraining"]) ]
        let tuned =
            [ for cell, r, p in cells do
                let run = cell.Config["run"].GetValue<string>()
                for t in r["tasks"].AsArray() ->
                    let task = t["task"].GetValue<string>()
                    let name = $"finetune-{run}-{task}"
                    record name (cell.Config["preset"].GetValue<string>()) (count p) (t["finetune"]),
                    {| run = name; task = task; examples = t["examples"].GetValue<int>(); rouge1 = num (t["rouge1"]); rouge2 = num (t["rouge2"])
                       rouge_l = num (t["rouge_l"]); rouge_lsum = num (t["rouge_lsum"]); squad_exact = num (t["squad_exact"]); squad_f1 = num (t["squad_f1"])
                       generation_seconds = num (t["generation_seconds"]); samples = t["samples"].DeepClone() |} ]
        Results.write "training" 1
            {| sizes = s; tokenizer = (spec ()).Fixed["tokenizer"].GetValue<string>(); pretraining_corpus = "edu-local"; task = "qa-local"; sweep = store.Spec.Name
               threads_per_run = 1; runs = [ for name, preset, optimizer, precision, tuned in runs -> {| name = name; preset = preset; optimizer = optimizer; precision = precision; finetuned = tuned |} ]
               recipe = "paper 3.3 (Muon, warmup then cosine, accumulation 2, clipping 1.0) with lr 1e-3 and a tenth of the steps as warmup for short runs" |}
            {| pretraining = pretraining; finetuning = [ for r, _ in tuned -> r ]; evaluation = [ for _, e in tuned -> e ] |}

    /// Loss curves of the given runs (by name) from a training results file.
    let curves (d: NotebookSlm.Reporting.ResultsDocument) (section: string) (names: string list) (title: string) =
        [ for r in Json.items d.Results [ section ] do
            let name = Json.text r [ "name" ]
            if List.isEmpty names || List.contains name names then
                let points = Json.items r [ "curve" ] |> List.map (fun p -> Json.items p [] |> List.map (fun v -> v.GetDouble()))
                yield Chart.Line(x = (points |> List.map (fun p -> p[0])), y = (points |> List.map (fun p -> p[1])), Name = name) ]
        |> Chart.combine
        |> Chart.withXAxisStyle "step"
        |> Chart.withYAxisStyle "training loss"
        |> Chart.withTitle title
