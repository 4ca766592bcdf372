module NotebookSlm.Tests.Export.OnnxExportTests

open System
open System.IO
open System.Text.Json
open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Export.Onnx
open NotebookSlm.Tests.Common

/// Micro models with head dimension 16 (GroupQueryAttention's rotary kernel needs multiples of 16).
let onnxEncDec = Presets.Micro.EncDec.With(headDim = 16, name = "micro-onnx-encdec")
let onnxDecOnly = Presets.Micro.DecoderOnly.With(headDim = 16, name = "micro-onnx-deconly")

let tempDir () =
    let d = Path.Combine(Path.GetTempPath(), $"notebookslm-onnx-{Guid.NewGuid():N}")
    Directory.CreateDirectory d |> ignore
    d

let names (graph: JsonElement) (kind: string) =
    [ for v in graph.GetProperty(kind).EnumerateArray() -> v.GetProperty("name").GetString() ]

[<Tests>]
let tests =
    testList "ONNX export" [
        test "an encoder-decoder exports encoder and decoder graphs with Optimum's names" {
            let dir = tempDir ()
            OnnxExport.Save(LanguageModel.Create(onnxEncDec, 1L), dir) |> ignore
            Expect.isTrue (File.Exists(Path.Combine(dir, "encoder_model.onnx"))) "encoder"
            Expect.isTrue (File.Exists(Path.Combine(dir, "decoder_model.onnx"))) "decoder"
            use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "model_description.json")))
            let graphs = doc.RootElement.GetProperty("graphs")
            let enc, dec = graphs.GetProperty("encoder_model.onnx"), graphs.GetProperty("decoder_model.onnx")
            Expect.equal (names enc "inputs") [ "input_ids"; "attention_mask" ] "encoder inputs"
            Expect.contains (names enc "outputs") "last_hidden_state" "encoder states"
            Expect.contains (names enc "outputs") "present.1.encoder.value" "cross K/V computed once, in the encoder"
            for n in [ "input_ids"; "encoder_attention_mask"; "past_key_values.0.decoder.key"; "past_key_values.1.encoder.value"; "seqlens_k"; "total_sequence_length" ] do
                Expect.contains (names dec "inputs") n n
            for n in [ "logits"; "present.0.decoder.key"; "present.1.decoder.value" ] do Expect.contains (names dec "outputs") n n
            let ids = dec.GetProperty("inputs").EnumerateArray() |> Seq.find (fun v -> v.GetProperty("name").GetString() = "input_ids")
            Expect.equal [ for d in ids.GetProperty("shape").EnumerateArray() -> d.GetString() ] [ "batch"; "decoder_sequence" ] "dynamic axes"
        }

        test "the encoder attends through fused MultiHeadAttention, choosing the unmasked kernel by an If" {
            let dir = tempDir ()
            OnnxExport.Save(LanguageModel.Create(onnxEncDec, 1L), dir) |> ignore
            let g = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "encoder_model.onnx"))).Graph
            let ifs = g.Node |> Seq.filter (fun n -> n.OpType = "If") |> List.ofSeq
            Expect.equal ifs.Length onnxEncDec.EncoderLayers "one If per encoder layer"
            for n in ifs do
                let branch name = (n.Attribute |> Seq.find (fun a -> a.Name = name)).G.Node |> Seq.exactlyOne
                let flash, masked = branch "then_branch", branch "else_branch"
                Expect.equal (flash.OpType, flash.Input.Count) ("MultiHeadAttention", 3) "all-valid branch: no mask, the flash kernel"
                Expect.equal (masked.OpType, masked.Input.Count) ("MultiHeadAttention", 5) "padded branch: key padding mask"
            Expect.isFalse (g.Node |> Seq.exists (fun n -> n.OpType = "Softmax")) "no materialized score matrices"
        }

        test "a decoder-only model exports model.onnx with its cache inputs and outputs" {
            let dir = tempDir ()
            OnnxExport.Save(LanguageModel.Create(onnxDecOnly, 1L), dir) |> ignore
            use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "model_description.json")))
            let g = doc.RootElement.GetProperty("graphs").GetProperty("model.onnx")
            for n in [ "input_ids"; "past_key_values.2.key"; "past_key_values.2.value"; "seqlens_k"; "last_token_index" ] do Expect.contains (names g "inputs") n n
            for n in [ "logits"; "present.0.key" ] do Expect.contains (names g "outputs") n n
            Expect.equal (doc.RootElement.GetProperty("architecture").GetString()) "decoder-only" "description"
        }

        test "4-bit and 8-bit blocks dequantize to within half a step of the weights" {
            torch.manual_seed 3L |> ignore
            let w = torch.randn(6L, 64L)
            for bits in [ 4; 8 ] do
                let struct (packed, scales) = WeightQuantization.Blocks(w, bits, 32)
                let bytes = packed.data<byte>().ToArray()
                let s = scales.data<float32>().ToArray()
                let values =
                    if bits = 8 then bytes |> Array.map int
                    else bytes |> Array.collect (fun b -> [| int b &&& 15; int b >>> 4 |])
                let zero = 1 <<< (bits - 1)
                let restored = values |> Array.mapi (fun i q -> float32 (q - zero) * s[i / 32])
                let original = w.reshape(-1L).data<float32>().ToArray()
                for i in 0 .. original.Length - 1 do
                    Expect.isLessThanOrEqual (abs (restored[i] - original[i])) (s[i / 32] / 2.0f + 1e-6f) $"bits {bits}, element {i}"
        }

        test "weights beyond the threshold go to an external-data file that ONNX Runtime loads" {
            let dir = tempDir ()
            let g = OnnxGraph("t")
            let x = g.Input("x", Onnx.TensorProto.Types.DataType.Float, "n", 256)
            let w = g.Initializer("w", torch.ones(256L, 256L))
            g.Output(g.Op("MatMul", x, w), "y", Onnx.TensorProto.Types.DataType.Float, "n", 256)
            let path = Path.Combine(dir, "t.onnx")
            g.Save(path, "test", externalAbove = 1000L)
            Expect.isTrue (File.Exists(path + ".data")) "external data written"
            Expect.isLessThan (FileInfo(path).Length) 10000L "graph file without the weights"
            use session = new Microsoft.ML.OnnxRuntime.InferenceSession(path)
            use input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(Array.create 256 1.0f, [| 1L; 256L |])
            use outputs = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), [| "x" |], [| input |], [| "y" |])
            Expect.equal (outputs[0].GetTensorDataAsSpan<float32>().[0]) 256.0f "1 x 256 times ones"
        }

        test "a head dimension ONNX Runtime's rotary kernel cannot take is a clear error" {
            expectError<ArgumentException> (fun () -> OnnxExport.Save(LanguageModel.Create(Presets.Micro.EncDec), tempDir ()) |> ignore)
                [ "multiple of 16"; "micro-encdec" ]
        }
    ]
