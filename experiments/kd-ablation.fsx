// The KD ablation (paper 3.2, Figure 5 and Table 1's KD rows; issue 12 point 7):
// `dotnet fsi build.fsx kd-ablation [--profile full] [--runner local|slurm]`.
//
// A decoder-only teacher with about 4x the students' parameters is pretrained on edu-local and
// fine-tuned on each task; students pretrained on the same documents are distilled from it.
// Figure 5: alpha in {0, 0.25, 0.5, 0.75, 1} x forward/reverse KL x teacher- or student-generated
// targets on qa-local, 3 seeds, and a second, smaller student; Table 1's KD rows: the decoder-only
// and the three splits on the four local tasks. Both grids are sweeps of `distill-eval` cells,
// after a first sweep that builds what they share (the teacher's pretraining, its fine-tuning per
// task with its generations, each pretrained student): a stopped study resumes where it stopped.
// Results: experiments/results/kd-ablation.json (full) or artifacts/smoke/results/kd-ablation.json.

#load "common.fsx"

open System
open NotebookSlm.Lab

let runner = match Environment.GetEnvironmentVariable "NOTEBOOKSLM_RUNNER" with null | "" -> "local" | r -> r
let path = KdAblation.run runner
printfn "%s\nwrote %s" (Report.text (Render.KdAblation.blocks (Results.read "kd-ablation"))) path
