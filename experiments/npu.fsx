// The NPU-ready export (paper 3.4, the Hexagon NPU row of Table 2; issue 4 point 6):
// `dotnet fsi build.fsx npu [--profile full]`.
//
// The paper runs its 330M models on a Qualcomm Hexagon NPU through ONNX. NPUs take graphs with
// every shape fixed and quantized arithmetic; ONNX Runtime's QNN execution provider takes them
// as QDQ graphs (QuantizeLinear/DequantizeLinear around each operator). This script exports the
// 330M 2/3-1/3 encoder-decoder and the 330M decoder-only (tiny models in smoke) as:
//   fp32   static shapes, standard operators, host-managed caches (the reference);
//   a8w8   int8 weights per output channel, uint8 activations per tensor;
//   a16w8  int8 weights, uint16 activations (Qualcomm's recommended form for LLMs);
// calibrated on real text (sum-local documents, Phi-3.5 tokenizer), and measures, on held-apart
// documents, the logit error and greedy agreement against fp32 and the speed on this CPU. No NPU
// speed is claimed: there is none here (README, "NPU-ready export", says how to run one).

#load "common.fsx"

open NotebookSlm.Lab

let path = Npu.run ()
printfn "%s\nwrote %s" (Report.text (Render.Npu.blocks (Results.read "npu"))) path
