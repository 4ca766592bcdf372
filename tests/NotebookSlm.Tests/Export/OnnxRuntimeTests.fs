module NotebookSlm.Tests.Export.OnnxRuntimeTests

open System.IO
open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Generation
open NotebookSlm.Export.Onnx
open NotebookSlm.Tests.Common
open NotebookSlm.Tests.Export.OnnxExportTests

/// A spiced micro model, its fp32 export and an ONNX Runtime session over it.
let exported (config: ModelConfig) (weights: OnnxWeights) =
    let m = spicedModel config 7L
    let dir = tempDir ()
    OnnxExport.Save(m, dir, OnnxExportOptions(Weights = weights)) |> ignore
    m, new OnnxLanguageModel(dir, OnnxRuntimeOptions(Threads = 1))

let encDec = lazy (exported onnxEncDec OnnxWeights.Fp32)
let decOnly = lazy (exported onnxDecOnly OnnxWeights.Fp32)
let both () = [ encDec.Value; decOnly.Value ]

let prompts = randomRows 21 300 [ 9; 4; 6 ]
let greedy n = GenerationOptions(MaxNewTokens = n, StopAtEos = false)

/// TorchSharp logits of the first token and of each forced step, flattened per step.
let torchLogitsOf (prompts: int[][]) (m: ILanguageModel) (forced: int64[][]) =
    use _ = torch.no_grad()
    let struct (src, mask) = Seq2SeqBatch.Pad(prompts, 0, "prompt")
    use s = m.StartDecoding(src, mask, forced.Length + 1, true)
    [ yield s.Prefill().data<float32>().ToArray()
      for f in forced -> s.Step(torch.tensor f).data<float32>().ToArray() ]

let torchLogits = torchLogitsOf prompts

/// Every step's logits within 1e-4 of TorchSharp's, step by step.
let expectLogitsClose (label: string) (expected: float32[] list) (actual: float32[] seq) =
    for (step, (e, a)) in Seq.indexed (Seq.zip expected actual) do
        let diff = Array.map2 (fun (x: float32) y -> abs (x - y)) e a |> Array.max
        Expect.isLessThan diff 1e-4f $"{label} step {step}: max |logit difference|"

[<Tests>]
let tests =
    testList "ONNX Runtime" [
        test "fp32 logits agree with TorchSharp within 1e-4 at every step, batched with padding" {
            let forced = [| for i in 0 .. 5 -> [| int64 (10 + i); int64 (40 + i); int64 (70 + i) |] |]
            for (m, om) in both () do
                expectLogitsClose m.Config.Name (torchLogits m forced) (om.ForcedLogits(prompts, forced))
        }

        test "an unpadded batch (the encoder's flash-attention branch) agrees with TorchSharp within 1e-4" {
            let (m, om) = encDec.Value
            let even = randomRows 22 300 [ 7; 7 ]
            let forced = [| [| 11L; 12L |]; [| 13L; 14L |] |]
            expectLogitsClose $"{m.Config.Name} unpadded" (torchLogitsOf even m forced) (om.ForcedLogits(even, forced))
        }

        test "greedy generation is token-exact against TorchSharp for both architectures" {
            for (m, om) in both () do
                let a = m.Generate(prompts, greedy 16)
                let b = om.Generate(prompts, greedy 16)
                for i in 0 .. prompts.Length - 1 do Expect.sequenceEqual b.Tokens[i] a.Tokens[i] $"{m.Config.Name} row {i}"
        }

        test "seeded sampling draws the same tokens as TorchSharp" {
            for (m, om) in both () do
                let o = GenerationOptions(MaxNewTokens = 12, Greedy = false, Temperature = 1.3, TopK = 40, Seed = 5L, StopAtEos = false)
                let a = m.Generate(prompts, o)
                let b = om.Generate(prompts, o)
                Expect.equal b.Tokens a.Tokens m.Config.Name
        }

        test "int8 and int4 weight-only exports stay close to fp32" {
            // Trained-scale weights (N(0, 0.02)), not the widened ones: the widened models are
            // chaotic enough that any rounding grows through the layers.
            for config in [ onnxEncDec; onnxDecOnly ] do
                let m = LanguageModel.Create(config, 7L)
                let fp32Dir = tempDir ()
                OnnxExport.Save(m, fp32Dir) |> ignore
                use fp32 = new OnnxLanguageModel(fp32Dir, OnnxRuntimeOptions(Threads = 1))
                let reference = fp32.ForcedLogits(prompts, [||]).[0]
                let scale = reference |> Array.map abs |> Array.max
                for (weights, tolerance) in [ OnnxWeights.Int8, 0.05f; OnnxWeights.Int4, 0.5f ] do
                    let dir = tempDir ()
                    OnnxExport.Save(m, dir, OnnxExportOptions(Weights = weights)) |> ignore
                    use q = new OnnxLanguageModel(dir, OnnxRuntimeOptions(Threads = 1))
                    let logits = q.ForcedLogits(prompts, [||]).[0]
                    let err = Array.map2 (fun (x: float32) y -> abs (x - y)) reference logits |> Array.max
                    Expect.isLessThan (err / scale) tolerance $"{config.Name} {weights}: relative logit error"
        }

        test "a folder without an export is a clear error" {
            expectError<FileNotFoundException> (fun () -> new OnnxLanguageModel(tempDir ()) |> ignore) [ "model_description.json"; "OnnxExport.Save" ]
        }
    ]
