namespace NotebookSlm.Lab

open System
open System.IO
open System.Security.Cryptography
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open NotebookSlm.Corpora
open NotebookSlm.Sweeps

/// The split-ratio study (paper 3.3, Table 1's Seq2Seq rows and Figure 2; issue 11): the
/// decoder-only baseline and the three encoder/decoder splits at equal parameters and equal
/// training tokens, pretrained on edu-local, fine-tuned on each local task, over seeds; and the
/// 2/3-1/3 split against the decoder-only over a ladder of sizes. Both grids are sweeps: every
/// cell (one model, one seed) is a `train-eval` job in its own process, local or on Slurm.
module SplitRatio =
    let private log (s: string) = eprintfn "%s" s

    /// The four rows of Table 1's Seq2Seq block, at equal parameters (Presets.Tiny).
    let presets = [ "tiny-deconly"; "tiny-encdec-1_3"; "tiny-encdec-1_2"; "tiny-encdec-2_3" ]
    /// Local stand-ins for SQuAD 2.0, XSum, CodeXGLUE and IELTS, in Table 1's order.
    let allTasks = [ "qa-local"; "essay-local"; "code-local"; "sum-local" ]

    type Sizes =
        { PretrainSteps: int; FinetuneSteps: int; MicroBatch: int; GlobalBatch: int; InputLength: int; MaxSource: int; MaxTarget: int
          Documents: int; EvalExamples: int; MaxNewTokens: int; Seeds: int list; Tasks: string list
          /// Figure 2's rungs: a name and the width (d_model; heads of 64) of the 2/3-1/3 shape.
          Ladder: (string * int) list
          /// The task Figure 2's rungs are fine-tuned and scored on.
          LadderTask: string; MemoryMiB: int; TimeMinutes: int }

    let sizes () =
        Profile.pick
            { PretrainSteps = 6; FinetuneSteps = 4; MicroBatch = 2; GlobalBatch = 2; InputLength = 64; MaxSource = 128; MaxTarget = 16
              Documents = 200; EvalExamples = 4; MaxNewTokens = 8; Seeds = [ 1 ]; Tasks = [ "qa-local" ]
              Ladder = [ "s", 128; "m", 192 ]; LadderTask = "qa-local"; MemoryMiB = 1536; TimeMinutes = 10 }
            { PretrainSteps = 1500; FinetuneSteps = 300; MicroBatch = 8; GlobalBatch = 16; InputLength = 128; MaxSource = 384; MaxTarget = 64
              Documents = 60000; EvalExamples = 200; MaxNewTokens = 48; Seeds = [ 1; 2; 3 ]; Tasks = allTasks
              // Figure 2 on sum-local, not qa-local: in the first full cell (tiny-deconly, seed 1,
              // 1500 + 300 steps) qa-local's sampled answers were all "unanswerable" (F1 29.7, EM
              // 28.5), a constant that cannot rank sizes, while sum-local's outputs differed per
              // example (ROUGE-L 18.8); it stands in for XSum, the paper's divergent-distribution task.
              Ladder = [ "s", 128; "m", 256; "l", 384 ]; LadderTask = "sum-local"; MemoryMiB = 4096; TimeMinutes = 240 }

    /// What versions a cell besides its configuration: the code its job runs.
    let code = Studies.splitRatioCells

    /// The data the cells read, built on first use; paths relative to the repository root (cells
    /// resolve them against NOTEBOOKSLM_ROOT, so a cluster with another mount point gets the same
    /// cell ids), and a version hashed from the corpora's manifests.
    let data (s: Sizes) =
        let tokenizerPath = TrainingStudy.tokenizerPath ()
        let o = TrainingStudy.dataOptions ()
        for t in s.Tasks do TrainingStudy.ensureCorpus t
        let relative (p: string) = Path.GetRelativePath(Paths.root.Value, p).Replace('\\', '/')
        let folders = CorpusBuilder.EduLocal :: s.Tasks |> List.map (fun n -> CorpusBuilder.Folder(o, n))
        let manifests = folders |> List.map (fun f -> File.ReadAllText(Path.Combine(f, Manifest.FileName))) |> String.concat "\n"
        let hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes manifests))
        let version = hash.Substring(0, 12).ToLowerInvariant()
        relative tokenizerPath, relative (CorpusBuilder.Folder(o, CorpusBuilder.EduLocal)), [ for t in s.Tasks -> relative (CorpusBuilder.Folder(o, t)) ], version

    let private node<'T> (v: 'T) = Sweeping.node v

    let private fixedConfig (s: Sizes) (tokenizer: string) (edu: string) (tasks: string list) =
        let overrides (steps: int) = TrainingStudy.overrides steps s.MicroBatch s.GlobalBatch s.InputLength s.MaxSource s.MaxTarget
        JsonObject(dict [ "tokenizer", node tokenizer; "pretrain_data", node edu; "tasks", JsonSerializer.SerializeToNode(tasks)
                          "documents", node s.Documents; "eval_examples", node s.EvalExamples; "max_new_tokens", node s.MaxNewTokens
                          "profile", node (Profile.current ()).Name
                          "pretrain", overrides s.PretrainSteps :> JsonNode; "finetune", overrides s.FinetuneSteps :> JsonNode ])

    let private resources (s: Sizes) = CellResources(1, s.MemoryMiB, s.TimeMinutes)

    /// Table 1's grid: the four presets x the seeds.
    let table1Spec () =
        let s = sizes ()
        let tokenizer, edu, tasks, version = data s
        SweepSpec(Name = $"split-ratio-{(Profile.current ()).Name}", Job = "train-eval", Fixed = fixedConfig s tokenizer edu tasks,
                  Axes = [| SweepAxis("preset", [| for p in presets -> node p |]); SweepAxis("seed", [| for x in s.Seeds -> node x |]) |],
                  Resources = resources s, Code = Array.ofList code, DataVersion = version)

    /// Figure 2's grid: the 2/3-1/3 shape at each rung against a decoder-only solved to the same
    /// parameter count, seed 1, on the ladder's task.
    let ladderSpec () =
        let s = sizes ()
        let tokenizer, edu, tasks, version = data s
        let fixedConfig = fixedConfig s tokenizer edu [ tasks[List.findIndex ((=) s.LadderTask) s.Tasks] ]
        fixedConfig["seed"] <- node 1
        let rung (name: string) (width: int) (preset: string) =
            let model = JsonObject(dict [ "d_model", node (string width); "heads", node (string (width / 64)); "kv_heads", node (string (max 1 (width / 128)))
                                          "mlp_hidden", node (string (4 * width)) ])
            JsonObject(dict [ "rung", node name; "preset", node preset; "model", model :> JsonNode
                              "match_parameters_of", JsonObject(dict [ "preset", node "tiny-encdec-2_3"; "model", model.DeepClone() ]) :> JsonNode ])
        SweepSpec(Name = $"split-ratio-ladder-{(Profile.current ()).Name}", Job = "train-eval", Fixed = fixedConfig,
                  Axes = [| SweepAxis("shape", [| for name, width in s.Ladder do
                                                    for p in [ "tiny-encdec-2_3"; "tiny-deconly" ] -> rung name width p :> JsonNode |], Merge = true) |],
                  Resources = resources s, Code = Array.ofList code, DataVersion = version)

    let private meanStd = Sweeping.meanStd

    let private cellRows = Sweeping.results

    let private num (n: JsonNode) = match n with null -> nan | v -> v.GetValue<double>()

    /// Table 1's rows from the grid: per preset, mean and sample std over seeds.
    let table1 (store: SweepStore) (tasks: string list) =
        let rows = cellRows store
        [ for preset in presets ->
            let mine = rows |> List.filter (fun (c, _, _) -> c.Config["preset"].GetValue<string>() = preset)
            let taskValue (task: string) (key: string) =
                [ for _, r, _ in mine do
                    for t in r["tasks"].AsArray() do
                        if t["task"].GetValue<string>() = task then yield num (t[key]) ]
            let parameters = match mine with (_, _, p) :: _ -> (p["job"]["parameter_count"]).GetValue<int64>() | [] -> 0L
            {| preset = preset; parameters = parameters; seeds = mine.Length
               tasks = [ for t in tasks -> {| task = t; rouge_l = meanStd (taskValue t "rouge_l") |} ]
               average = meanStd [ for _, r, _ in mine -> r["tasks"].AsArray() |> Seq.averageBy (fun t -> num (t["rouge_l"])) ]
               squad_f1 = meanStd (taskValue "qa-local" "squad_f1"); squad_exact = meanStd (taskValue "qa-local" "squad_exact")
               pretrain_seconds = meanStd [ for _, r, _ in mine -> num (r["pretraining"]["seconds"]) ]
               tokens_per_second = meanStd [ for _, r, _ in mine -> num (r["pretraining"]["tokens_per_second"]) ]
               training_tokens = meanStd [ for _, r, _ in mine -> num (r["pretraining"]["source_tokens"]) + num (r["pretraining"]["target_tokens"]) ] |} ]

    /// Figure 2's points: average ROUGE-L per rung and shape.
    let figure2 (store: SweepStore) =
        [ for cell, r, p in cellRows store ->
            let shape = cell.Config
            {| rung = shape["rung"].GetValue<string>(); preset = shape["preset"].GetValue<string>()
               parameters = (p["job"]["parameter_count"]).GetValue<int64>()
               rouge_l = r["tasks"].AsArray() |> Seq.averageBy (fun t -> num (t["rouge_l"])) |} ]

    /// Builds what the cells need, runs both grids and writes this profile's "split-ratio" results.
    let run (runner: string) =
        let s = sizes ()
        let t1 = Sweeping.run runner (table1Spec ())
        let ladder = Sweeping.run runner (ladderSpec ())
        let rows = table1 t1 s.Tasks
        let seconds (preset: string) = (rows |> List.find (fun r -> r.preset = preset)).pretrain_seconds.mean
        Results.write "split-ratio" 1
            {| sizes = s; runner = runner; table1_sweep = t1.Spec.Name; ladder_sweep = ladder.Spec.Name; cells = t1.Cells.Count + ladder.Cells.Count
               threads_per_cell = 1 |}
            {| table1 = rows; figure2 = figure2 ladder
               encdec_time_share = seconds "tiny-encdec-2_3" / seconds "tiny-deconly" |}
