// The paper's deployment claims measured on our own exports (sections 3.1, 3.3, 3.4):
// `dotnet fsi build.fsx efficiency [--profile full]`.
//
//   Table 2    first-token latency and decode throughput, input 512, output 128, 100 examples,
//              the 330M 2/3-1/3 encoder-decoder against the 330M decoder-only, on ONNX Runtime
//              (fp32 and 4-bit weights) and TorchSharp, with this machine's roofline;
//   Figure 1   time against input length, 128 to 4096, both architectures;
//   memory     peak resident memory at input 4096 at the largest batch (from 32) this machine holds;
//   analytic   the memory and FLOPs claims from the cost model.
// Smoke runs the same on the tiny presets at short lengths. Random weights: speed does not
// depend on them. Results go to experiments/results/efficiency.json (full) and are shown by
// notebooks/04-efficiency.ipynb.

#load "common.fsx"

open NotebookSlm.Lab

let path = Efficiency.run ()
printfn "%s\nwrote %s" (Report.text (Render.Efficiency.blocks (Results.read "efficiency"))) path
