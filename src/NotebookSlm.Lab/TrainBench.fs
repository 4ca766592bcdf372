namespace NotebookSlm.Lab

open System.IO
open System.Text.Json
open NotebookSlm.Benchmarks

/// The training benchmark (issue 10 point 8): `slm bench train` over presets x precisions, one
/// process per configuration so that each resident-memory reading is its own, one after
/// another so that none slows another.
module TrainBench =
    let private log (s: string) = eprintfn "%s" s

    /// One configuration of the grid: preset, steps, micro batch and the steps left out of the timing.
    type Cell = { Preset: string; Optimizer: string; Steps: int; MicroBatch: int; Warmup: int; MemoryStep: int }

    /// smoke: the micro pair, a few dozen steps. full: the tiny pair (the bar's presets) for
    /// 2000 steps of 8 x (256 + 64) tokens with Muon (the paper's optimizer) and with AdamW, and
    /// the 330M pair for a few steps (memory and speed where the matrices are large). Both
    /// optimizers, because Muon's Newton-Schulz iterations are work the model FLOPs do not count:
    /// measured here on tiny-encdec-2_3, 40 steps, MFU 16% with Muon against 48% with AdamW at
    /// micro batch 2, and 43% against 74% at micro batch 8.
    let cells () =
        Profile.pick
            [ for p in [ "micro-encdec"; "micro-deconly" ] -> { Preset = p; Optimizer = "muon"; Steps = 40; MicroBatch = 4; Warmup = 5; MemoryStep = 20 } ]
            ([ for p in [ "tiny-encdec-2_3"; "tiny-deconly" ] do
                 for o in [ "muon"; "adamw" ] -> { Preset = p; Optimizer = o; Steps = 2000; MicroBatch = 8; Warmup = 10; MemoryStep = 100 } ]
             @ [ for p in [ "330m-encdec-2_3"; "330m-deconly" ] -> { Preset = p; Optimizer = "muon"; Steps = 8; MicroBatch = 1; Warmup = 2; MemoryStep = 4 } ])

    let precisions = [ "fp32"; "bf16" ]
    let input, target = Profile.pick (64, 16) (256, 64)

    /// Runs one cell in its own `slm bench train` process and reads the row it prints.
    let measure (cell: Cell) (precision: string) (threads: int) =
        log $"bench train: {cell.Preset} {cell.Optimizer} {precision}, {cell.Steps} steps of {cell.MicroBatch} x ({input} + {target}) tokens"
        let args =
            [ Paths.slm (); "bench"; "train"; "--preset"; cell.Preset; "--precision"; precision; "--steps"; string cell.Steps
              "--micro-batch"; string cell.MicroBatch; "--input"; string input; "--target"; string target; "--threads"; string threads
              "--memory-step"; string cell.MemoryStep; "--warmup"; string cell.Warmup; "--optimizer"; cell.Optimizer ]
        let r = NotebookSlm.Runtime.ProcessRunner.Run("dotnet", args, Paths.root.Value)
        if r.ExitCode <> 0 then failwith $"slm bench train {cell.Preset} {precision} failed (exit {r.ExitCode}): {NotebookSlm.Runtime.ProcessRunner.Tail r.Stderr}"
        log (NotebookSlm.Runtime.ProcessRunner.Tail(r.Stderr, 400))
        JsonSerializer.Deserialize<TrainBenchRow>(r.Stdout.Trim().Split('\n') |> Array.last, NotebookSlm.Reporting.ResultsFile.Json)

    /// Runs the grid and writes this profile's results file; returns its path.
    let run () =
        let threads = System.Environment.ProcessorCount
        let rows = [ for c in cells () do for p in precisions -> measure c p threads ]
        Results.write "bench-train" threads
            {| input_tokens = input; target_tokens = target; cells = cells (); precisions = precisions
               data = "random token pairs of fixed lengths (seeded); the speed and memory of a step do not depend on the tokens"
               bar = "fp32 steps at >= 70% and bf16 steps at >= 50% of the measured matmul peak, tiny presets, 256 input tokens" |}
            {| rows = rows |}
