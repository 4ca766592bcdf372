// The split-ratio study (paper 3.3: Table 1's Seq2Seq rows, Figure 2; issue 11):
// `dotnet fsi build.fsx split-ratio [--profile full] [--runner local|slurm]`.
//
// The decoder-only baseline and the three encoder/decoder splits (1/3-2/3, 1/2-1/2, 2/3-1/3) at
// equal parameters and equal training tokens: each pretrained on edu-local (span corruption for
// the encoder-decoders, causal LM for the decoder-only), fine-tuned on the local tasks and
// scored, over seeds; then the 2/3-1/3 shape against a parameter-matched decoder-only over a
// ladder of sizes. Both grids are sweeps (NotebookSlm.Sweeps): one `train-eval` cell per model
// and seed, each its own process, skipped when its result exists, so a stopped run resumes
// where it stopped. `--runner slurm` submits them as Slurm job arrays instead.

#load "common.fsx"

open NotebookSlm.Lab

let runner =
    match fsi.CommandLineArgs |> Array.tryFindIndex ((=) "--runner") with
    | Some i when i + 1 < fsi.CommandLineArgs.Length -> fsi.CommandLineArgs[i + 1]
    | _ -> System.Environment.GetEnvironmentVariable "NOTEBOOKSLM_RUNNER" |> Option.ofObj |> Option.defaultValue "local"

let path = SplitRatio.run runner
printfn "%s\nwrote %s" (Report.text (Render.SplitRatio.blocks (Results.read "split-ratio"))) path
