// The training benchmark (issue 10 point 8): `dotnet fsi build.fsx bench-train [--profile full]`.
//
// How fast is a training step on this CPU, and how close to the machine's matmul peak? Each
// configuration (preset x optimizer x fp32/bf16) is a `bench-train` sweep cell in its own
// process, one at a time, so a stopped run resumes at the first cell without results: the real
// Trainer step on random token pairs of fixed lengths, timed per step after a warm-up, against
// a square matmul in the same dtype and threads measured in the same process. Resident memory
// is read at an early step and at the end: flat memory over thousands of steps is what the
// dispose scopes are for. The bar: fp32 at >= 70% and bf16 at >= 50% of the peak on the tiny
// presets at 256 input tokens. BF16's speed-up and how far its loss curve leaves fp32's (same
// seed, same data) come from the same rows.

#load "common.fsx"

open NotebookSlm.Lab

let path = TrainBench.run ()
printfn "%s\nwrote %s" (Report.text (Render.TrainBench.blocks (Results.read "bench-train"))) path
