namespace NotebookSlm.Lab

open System
open System.Text.Json
open System.Text.Json.Nodes
open NotebookSlm.Benchmarks
open NotebookSlm.Reporting
open NotebookSlm.Sweeps

/// The training benchmark (issue 10 point 8): `slm bench train` over presets x optimizers x
/// precisions as a sweep of `bench-train` cells, each its own process (so that each
/// resident-memory reading is its own) with every core, one at a time (so that none slows
/// another); a stopped run resumes at the first cell without results.
module TrainBench =
    /// One configuration of the grid: preset, optimizer, precision, steps, micro batch, the steps
    /// left out of the timing, the step of the first memory reading, and whether the step distils
    /// ("none", "teacher": the teacher runs every step, "cached": its logits come from disk).
    type Cell = { Preset: string; Optimizer: string; Precision: string; Steps: int; MicroBatch: int; Warmup: int; MemoryStep: int; Distill: string }

    /// The distillation cells' teacher (issue 12 point 8). full: the KD ablation's teacher shape,
    /// the tiny decoder-only widened to d_model 512 (about 4x the tiny students); smoke: the micro
    /// decoder-only widened to d_model 64.
    let teacher () =
        let preset, d, heads, kv, mlp = Profile.pick ("micro-deconly", 64, 8, 4, 128) ("tiny-deconly", 512, 8, 4, 2304)
        JsonObject(dict [ "preset", Sweeping.node preset
                          "model", JsonObject(dict [ "d_model", Sweeping.node (string d); "heads", Sweeping.node (string heads)
                                                     "kv_heads", Sweeping.node (string kv); "mlp_hidden", Sweeping.node (string mlp) ]) :> JsonNode ])

    let precisions = [ "fp32"; "bf16" ]
    let input, target = Profile.pick (64, 16) (256, 64)

    /// smoke: the micro pair, a few dozen steps. full: the tiny pair (the bar's presets) at
    /// 8 x (256 + 64) tokens with Muon (the paper's optimizer) and with AdamW, in both
    /// precisions: 2000 steps for the encoder-decoder with Muon in fp32 (resident memory at step
    /// 100 and step 2000: do the dispose scopes keep it flat?), 150 for the others (the median
    /// step is steady after the warm-up: measured here, 793 and 866 ms at steps 200 and 400 of
    /// the long run, at about 0.8 s a step); and the 330M pair for a few steps (memory and speed
    /// where the matrices are large). Both
    /// optimizers, because Muon's Newton-Schulz iterations are work the model FLOPs do not
    /// count: measured here on tiny-encdec-2_3, 40 steps, MFU 16% with Muon against 48% with
    /// AdamW at micro batch 2, and 43% against 74% at micro batch 8. Then the distillation step of
    /// the 2/3-1/3 student (fp32, Muon) with the teacher run every step and with its logits cached,
    /// beside that student's plain fine-tuning step (the first row).
    let cells () =
        let plain = "none"
        Profile.pick
            ([ for p in [ "micro-encdec"; "micro-deconly" ] do
                 for x in precisions -> { Preset = p; Optimizer = "muon"; Precision = x; Steps = 40; MicroBatch = 4; Warmup = 5; MemoryStep = 20; Distill = plain } ]
             @ [ for kd in [ "teacher"; "cached" ] ->
                   { Preset = "micro-encdec"; Optimizer = "muon"; Precision = "fp32"; Steps = 40; MicroBatch = 4; Warmup = 5; MemoryStep = 20; Distill = kd } ])
            ([ for p in [ "tiny-encdec-2_3"; "tiny-deconly" ] do
                 for o in [ "muon"; "adamw" ] do
                     for x in precisions ->
                         { Preset = p; Optimizer = o; Precision = x; Steps = (if p = "tiny-encdec-2_3" && o = "muon" && x = "fp32" then 2000 else 150); MicroBatch = 8
                           Warmup = 10; MemoryStep = 100; Distill = plain } ]
             @ [ for p in [ "330m-encdec-2_3"; "330m-deconly" ] do
                   for x in precisions -> { Preset = p; Optimizer = "muon"; Precision = x; Steps = 6; MicroBatch = 1; Warmup = 2; MemoryStep = 4; Distill = plain } ]
             @ [ for kd in [ "teacher"; "cached" ] ->
                   { Preset = "tiny-encdec-2_3"; Optimizer = "muon"; Precision = "fp32"; Steps = 150; MicroBatch = 8; Warmup = 10; MemoryStep = 100; Distill = kd } ])

    let private cellNode (c: Cell) =
        let node = JsonObject(dict [ "preset", Sweeping.node c.Preset; "optimizer", Sweeping.node c.Optimizer; "precision", Sweeping.node c.Precision
                                     "steps", Sweeping.node c.Steps; "micro_batch", Sweeping.node c.MicroBatch; "warmup", Sweeping.node c.Warmup
                                     "memory_step", Sweeping.node c.MemoryStep ])
        match c.Distill with
        | "none" -> ()
        | kd ->
            node["teacher"] <- teacher ()
            node["teacher_cache"] <- Sweeping.node (kd = "cached")
        node :> JsonNode

    /// The grid as a sweep: every cell takes all cores, so the local runner runs one at a time.
    let spec () =
        SweepSpec(Name = $"bench-train-{(Profile.current ()).Name}", Job = "bench-train",
                  Fixed = JsonObject(dict [ "input", Sweeping.node input; "target", Sweeping.node target; "profile", Sweeping.node (Profile.current ()).Name ]),
                  Axes = [| SweepAxis("config", [| for c in cells () -> cellNode c |], Merge = true) |],
                  Resources = CellResources(Environment.ProcessorCount, Profile.pick 2048 12288, Profile.pick 10 90),
                  Code = Array.ofList (Studies.find "bench-train").Code)

    /// Runs the grid (resuming a stopped one) and writes this profile's results file; returns its path.
    let run () =
        let store = Sweeping.run "local" (spec ())
        let rows = [ for _, r, _ in Sweeping.results store -> JsonSerializer.Deserialize<TrainBenchRow>(r.ToJsonString(), ResultsFile.Json) ]
        Results.write "bench-train" Environment.ProcessorCount
            {| input_tokens = input; target_tokens = target; cells = cells (); teacher = teacher (); sweep = store.Spec.Name
               data = "random token pairs of fixed lengths (seeded); the speed and memory of a step do not depend on the tokens"
               bar = "fp32 steps at >= 70% and bf16 steps at >= 50% of the measured matmul peak, tiny presets, 256 input tokens" |}
            {| rows = rows |}
