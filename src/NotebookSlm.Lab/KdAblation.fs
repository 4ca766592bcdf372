namespace NotebookSlm.Lab

open System
open System.IO
open System.Security.Cryptography
open System.Text
open System.Text.Json.Nodes
open NotebookSlm.Corpora
open NotebookSlm.Sweeps

/// The KD ablation (paper 3.2, supplement 5.1; issue 12 point 7): a decoder-only teacher with at
/// least 4x the student's parameters, pretrained on edu-local and fine-tuned on each task (as the
/// authors tuned Phi-3.5), distilled into students that were pretrained on the same documents.
/// Figure 5: alpha x forward/reverse KL x teacher- or student-generated targets on qa-local, over
/// seeds, plus a second student size; Table 1's KD rows: the three splits and the decoder-only on
/// the local tasks. Every cell is a `distill-eval` job of a sweep; teachers and pretrained students
/// are built once and shared by the cells that name them.
module KdAblation =
    type Sizes =
        { PretrainSteps: int; FinetuneSteps: int; Figure5Steps: int; MicroBatch: int; GlobalBatch: int; InputLength: int; MaxSource: int; MaxTarget: int
          Documents: int; EvalExamples: int; MaxNewTokens: int; Seeds: int list; Alphas: float list; Divergences: string list
          Targets: string list; Tasks: string list; Table1Presets: string list; MemoryMiB: int; TimeMinutes: int }

    let sizes () =
        Profile.pick
            { PretrainSteps = 6; FinetuneSteps = 4; Figure5Steps = 4; MicroBatch = 2; GlobalBatch = 2; InputLength = 64; MaxSource = 128; MaxTarget = 16
              Documents = 200; EvalExamples = 4; MaxNewTokens = 8; Seeds = [ 1 ]; Alphas = [ 0.0; 0.5 ]; Divergences = [ "forward_kl" ]
              Targets = [ "teacher"; "student" ]; Tasks = [ "qa-local" ]; Table1Presets = [ "tiny-deconly"; "tiny-encdec-2_3" ]; MemoryMiB = 2048; TimeMinutes = 15 }
            { PretrainSteps = 1500; FinetuneSteps = 300; Figure5Steps = 150; MicroBatch = 8; GlobalBatch = 16; InputLength = 128; MaxSource = 384; MaxTarget = 64
              Documents = 60000; EvalExamples = 200; MaxNewTokens = 48; Seeds = [ 1; 2; 3 ]; Alphas = [ 0.0; 0.25; 0.5; 0.75; 1.0 ]
              Divergences = [ "forward_kl"; "reverse_kl" ]; Targets = [ "teacher"; "student" ]; Tasks = SplitRatio.allTasks
              Table1Presets = SplitRatio.presets; MemoryMiB = 4096; TimeMinutes = 360 }

    /// The teacher: the tiny decoder-only shape widened to d_model 512 (8 heads of 64, 4 K/V heads,
    /// MLP 2304) and deepened to 8 layers: at least 4x the tiny students' parameters, checked by
    /// `teacherRatio` before any cell runs. With 7 layers it was 3.79x the tiny decoder-only at the
    /// full profile's 8k vocabulary (26.3M against 6.9M, `slm params`); 8 layers give 4.24x.
    let teacher = JsonObject(dict [ "preset", Sweeping.node "tiny-deconly"
                                    "model", JsonObject(dict [ "d_model", Sweeping.node "512"; "heads", Sweeping.node "8"; "kv_heads", Sweeping.node "4"
                                                               "mlp_hidden", Sweeping.node "2304"; "decoder_layers", Sweeping.node "8" ]) :> JsonNode ])
    /// Figure 5's second student size: the 2/3-1/3 shape at d_model 192.
    let smallStudent = JsonObject(dict [ "preset", Sweeping.node "tiny-encdec-2_3"
                                         "model", JsonObject(dict [ "d_model", Sweeping.node "192"; "heads", Sweeping.node "3"; "kv_heads", Sweeping.node "1"
                                                                    "mlp_hidden", Sweeping.node "768" ]) :> JsonNode ])

    let private student (preset: string) = JsonObject(dict [ "preset", Sweeping.node preset ])

    let private kd (alpha: float) (divergence: string) (targets: string) : JsonNode =
        if alpha = 0.0 then null // alpha 0 is plain fine-tuning: one cell, whatever the divergence and the targets
        else JsonObject(dict [ "alpha", Sweeping.node (string alpha); "divergence", Sweeping.node divergence; "targets", Sweeping.node targets ]) :> JsonNode

    let private fixedConfig (s: Sizes) (finetuneSteps: int) =
        let tokenizer, edu, _, _ = SplitRatio.data { (SplitRatio.sizes ()) with Tasks = s.Tasks }
        let overrides (steps: int) = TrainingStudy.overrides steps s.MicroBatch s.GlobalBatch s.InputLength s.MaxSource s.MaxTarget
        JsonObject(dict [ "tokenizer", Sweeping.node tokenizer; "pretrain_data", Sweeping.node edu; "documents", Sweeping.node s.Documents
                          "eval_examples", Sweeping.node s.EvalExamples; "max_new_tokens", Sweeping.node s.MaxNewTokens
                          "profile", Sweeping.node (Profile.current ()).Name; "teacher", teacher.DeepClone()
                          "shared", Sweeping.node (Path.GetRelativePath(Paths.root.Value, Paths.artifacts (Path.Combine("kd", (Profile.current ()).Name))).Replace('\\', '/'))
                          "pretrain", overrides s.PretrainSteps :> JsonNode; "finetune", overrides finetuneSteps :> JsonNode
                          "teacher_finetune", overrides s.FinetuneSteps :> JsonNode ])

    let private taskPath (task: string) =
        Path.GetRelativePath(Paths.root.Value, CorpusBuilder.Folder(TrainingStudy.dataOptions (), task)).Replace('\\', '/')

    let private version (s: Sizes) = let _, _, _, v = SplitRatio.data { (SplitRatio.sizes ()) with Tasks = s.Tasks } in v

    let private spec (name: string) (s: Sizes) (finetuneSteps: int) (cells: JsonNode list) =
        SweepSpec(Name = $"{name}-{(Profile.current ()).Name}", Job = "distill-eval", Fixed = fixedConfig s finetuneSteps,
                  Axes = [| SweepAxis("cell", Array.ofList cells, Merge = true) |], Resources = CellResources(1, s.MemoryMiB, s.TimeMinutes),
                  Code = Array.ofList (Studies.find "kd-ablation").Code, DataVersion = version s)

    /// Figure 5's grid on the first task: students x seeds x (alpha 0 once, then alpha x divergence x targets).
    let figure5Spec () =
        let s = sizes ()
        let students = Profile.pick [ "tiny", student "tiny-encdec-2_3" ] [ "tiny", student "tiny-encdec-2_3"; "small", smallStudent ]
        spec "kd-figure5" s s.Figure5Steps
            [ for size, st in students do
                for seed in (if size = "tiny" then s.Seeds else [ List.head s.Seeds ]) do
                    for alpha in s.Alphas do
                        for divergence in (if alpha = 0.0 then [ List.head s.Divergences ] else s.Divergences) do
                            for targets in (if alpha = 0.0 then [ List.head s.Targets ] else s.Targets) ->
                                JsonObject(dict [ "size", Sweeping.node size; "student", st.DeepClone(); "seed", Sweeping.node seed
                                                  "task", Sweeping.node (taskPath (List.head s.Tasks)); "kd", kd alpha divergence targets
                                                  "alpha", Sweeping.node alpha; "divergence_name", Sweeping.node divergence; "targets_name", Sweeping.node targets ]) :> JsonNode ]

    /// Table 1's KD rows: every preset on every task, seed 1, alpha 0.5 forward KL on the student's
    /// own generations (on-policy, as the authors' released script distils).
    let table1Spec () =
        let s = sizes ()
        spec "kd-table1" s s.FinetuneSteps
            [ for preset in s.Table1Presets do
                for task in s.Tasks ->
                    JsonObject(dict [ "student_name", Sweeping.node preset; "student", student preset :> JsonNode; "seed", Sweeping.node 1; "task", Sweeping.node (taskPath task)
                                      "kd", kd 0.5 "forward_kl" (List.last s.Targets) ]) :> JsonNode ]

    /// The shared models as a grid of their own, run before the two grids that read them: the
    /// teacher's pretraining, every (student, seed) pretraining the grids name, then the teacher's
    /// fine-tuning on each task (with its generations on the first task, Figure 5's "teacher"
    /// targets). Without it the first grid cell to need the teacher builds it while the cells
    /// beside it wait on its lock, one core idle for the length of the teacher's pretraining.
    /// Cells run in this order, so the teacher's pretraining starts first, beside the students,
    /// and is done before any task's fine-tuning needs it.
    /// Both grids' cells (Figure 5's, then Table 1's KD rows), and Figure 5's spec.
    let private gridCells () =
        let f5 = figure5Spec ()
        f5, List.ofSeq f5.Axes[0].Values @ List.ofSeq (table1Spec ()).Axes[0].Values

    let sharedSpec () =
        let s = sizes ()
        let f5, cells = gridCells ()
        let students =
            [ for c in cells -> c["student"].ToJsonString(), c["seed"].GetValue<int>() ] |> List.distinct
            |> List.map (fun (st, seed) ->
                let spec = JsonNode.Parse st
                // A name for the progress display: the preset, and the width where it is overridden.
                let name = spec["preset"].GetValue<string>() + (match spec["model"] with null -> "" | m -> "@" + m["d_model"].GetValue<string>())
                JsonObject(dict [ "build", Sweeping.node "student"; "student_name", Sweeping.node name; "student", spec; "seed", Sweeping.node seed ]) :> JsonNode)
        let figure5Finetune = f5.Fixed["finetune"]
        let teachers =
            [ for task in s.Tasks ->
                let cell = JsonObject(dict [ "build", Sweeping.node "teacher"; "student", student "tiny-encdec-2_3" :> JsonNode; "task", Sweeping.node (taskPath task) ])
                if task = List.head s.Tasks then
                    // Figure 5's task: the teacher's generations for Figure 5's fine-tuning, every seed.
                    cell["teacher_targets"] <- Sweeping.node true
                    cell["teacher_target_seeds"] <- Sweeping.node s.Seeds
                    cell["finetune"] <- figure5Finetune.DeepClone()
                cell :> JsonNode ]
        let pretrainTeacher = JsonObject(dict [ "build", Sweeping.node "teacher-pretrain"; "student", student "tiny-encdec-2_3" :> JsonNode ]) :> JsonNode
        spec "kd-shared" s s.FinetuneSteps (pretrainTeacher :: students @ teachers)

    /// The teacher's parameters over the largest student's, from the configurations (as the cells
    /// count them: preset, model overrides, the study's tokenizer), checked before any cell runs:
    /// the study needs at least 4x (issue 12).
    let teacherRatio () =
        let tokenizerPath, _, _, _ = SplitRatio.data { (SplitRatio.sizes ()) with Tasks = (sizes ()).Tasks }
        let tokenizer = NotebookSlm.Tokenization.AutoTokenizer.Load(Path.Combine(Paths.root.Value, tokenizerPath))
        let count (spec: JsonNode) =
            let overrides =
                match spec["model"] with
                | :? JsonObject as o -> [ for kv in o -> Collections.Generic.KeyValuePair(kv.Key, kv.Value.GetValue<string>()) ]
                | _ -> []
            let model = NotebookSlm.Models.Presets.Get(spec["preset"].GetValue<string>()).WithOverrides(overrides).ForTokenizer(tokenizer)
            float (NotebookSlm.Accounting.ParameterCounts.Of(model).Total)
        let students = snd (gridCells ()) |> List.map (fun c -> c["student"].ToJsonString()) |> List.distinct |> List.map JsonNode.Parse
        count teacher / (students |> List.map count |> List.max)

    let private num (n: JsonNode) = match n with null -> nan | v -> v.GetValue<double>()

    let private text (n: JsonNode) = match n with null -> "" | v -> v.GetValue<string>()

    /// Runs both grids and writes this profile's "kd-ablation" results; returns the path.
    let run (runner: string) =
        let s = sizes ()
        for t in s.Tasks do TrainingStudy.ensureCorpus t
        let ratio = teacherRatio ()
        if ratio < 4.0 then failwith $"the teacher has {ratio:F2}x the largest student's parameters; the study needs at least 4x (widen or deepen KdAblation.teacher)"
        let sharedModels = Sweeping.run runner (sharedSpec ())
        let f5 = Sweeping.run runner (figure5Spec ())
        let t1 = Sweeping.run runner (table1Spec ())
        let f5cells = Sweeping.results f5
        let figure5 =
            f5cells
            |> List.groupBy (fun (c, _, _) -> text (c.Config["size"]), num (c.Config["alpha"]), text (c.Config["divergence_name"]), text (c.Config["targets_name"]))
            |> List.map (fun ((size, alpha, divergence, targets), cells) ->
                {| size = size; alpha = alpha; divergence = (if alpha = 0.0 then "-" else divergence); targets = (if alpha = 0.0 then "-" else targets)
                   rouge_l = Sweeping.meanStd [ for _, r, _ in cells -> num (r["student"]["rouge_l"]) ]
                   squad_f1 = Sweeping.meanStd [ for _, r, _ in cells -> num (r["student"]["squad_f1"]) ]
                   student_parameters = (match cells with (_, _, p) :: _ -> (p["job"]["student_parameters"]).GetValue<int64>() | [] -> 0L) |})
        let teachers =
            [ for _, r, p in f5cells @ Sweeping.results t1 -> text (r["teacher"]["task"]), r["teacher"], (p["job"]["teacher_parameters"]).GetValue<int64>() ]
            |> List.distinctBy (fun (task, _, _) -> task)
            |> List.map (fun (task, row, parameters) ->
                {| task = task; parameters = parameters; rouge_l = num (row["rouge_l"]); squad_f1 = num (row["squad_f1"]); squad_exact = num (row["squad_exact"]) |})
        let table1 =
            [ for c, r, p in Sweeping.results t1 ->
                {| preset = text (c.Config["student"]["preset"]); task = text (r["student"]["task"]); parameters = (p["job"]["student_parameters"]).GetValue<int64>()
                   rouge_l = num (r["student"]["rouge_l"]); squad_f1 = num (r["student"]["squad_f1"]); squad_exact = num (r["student"]["squad_exact"]) |} ]
        Results.write "kd-ablation" 1
            {| sizes = s; runner = runner; shared_sweep = sharedModels.Spec.Name; figure5_sweep = f5.Spec.Name; table1_sweep = t1.Spec.Name
               cells = sharedModels.Cells.Count + f5.Cells.Count + t1.Cells.Count
               teacher = teacher; teacher_to_student_parameters = ratio; threads_per_cell = 1 |}
            {| teachers = teachers; figure5 = figure5; table1 = table1 |}
