// llama.cpp as the peer of our ONNX Runtime loop (issue 4 point 7, paper 3.4):
// `dotnet fsi build.fsx peer [--profile full]`.
//
// The Llama-style decoder-only baseline (SwiGLU, no biases, MLP re-solved to the same parameter
// count) as one seeded random model, exported twice: GGUF (f32 and f16) for llama.cpp (npm
// node-llama-cpp 3.21.1, prebuilt CPU backend, installed on first use) and ONNX for our loop.
// Same prompts, input and output lengths, and threads on both sides. Reported: first-token ms,
// prefill tok/s (input tokens over first-token time), decode tok/s, and our decode and prefill
// as ratios to llama.cpp's; the Llama-style 2/3-1/3 encoder-decoder's own numbers on our loop
// beside them. The bar: our fp32 decoder-only decode at least 0.8x llama.cpp's f32.
//
//   smoke   tiny presets, input 64, output 16, 2 examples after 1 warm-up, ONNX fp32
//   full    330M presets, input 512, output 128, 3 examples after 1 warm-up, ONNX fp32 and int4
// Threads: all cores, or $NOTEBOOKSLM_PEER_THREADS.
// Results: experiments/results/peer.json (full) or artifacts/smoke/results/peer.json (smoke).

#load "common.fsx"

open System
open NotebookSlm.Lab
open NotebookSlm.Models
open NotebookSlm.Benchmarks
open NotebookSlm.Export.Onnx

let decoderOnly, encoderDecoder =
    Profile.pick (Presets.Tiny.DecoderOnly, Presets.Tiny.EncDec2_3) (Presets.Paper330M.DecoderOnly, Presets.Paper330M.EncDec2_3)
let input, output, examples = Profile.pick (64, 16, 2) (512, 128, 3)
// $NOTEBOOKSLM_PEER_THREADS overrides the thread count (both sides). On a shared 2-core machine
// llama.cpp's spinning thread barrier collapses at 2 threads whenever another process takes a
// core (measured on the tiny model: 17-80 tok/s at 2 threads against ~500 at 1).
let threads =
    match Environment.GetEnvironmentVariable "NOTEBOOKSLM_PEER_THREADS" with
    | null | "" -> Environment.ProcessorCount
    | s -> int s
let options =
    PeerOptions(InputTokens = input, OutputTokens = output, Examples = examples, Warmup = 1, Threads = threads,
                OnnxWeights = Profile.pick [| OnnxWeights.Fp32 |] [| OnnxWeights.Fp32; OnnxWeights.Int4 |],
                OnnxRoot = Paths.artifacts "onnx", GgufRoot = Paths.artifacts "gguf")
let machine = MachineProbe.Measure threads
let result = PeerBench.Run(decoderOnly, encoderDecoder, options, machine, Action<string>(eprintfn "%s"))
let load = try IO.File.ReadAllText("/proc/loadavg").Split(' ')[0] with _ -> "unknown"
let path = Results.write "peer" threads options {| peer = result; machine = machine; load_average = load |}
printfn "%s\nwrote %s" (Report.text (Render.Peer.blocks (Results.read "peer"))) path
