module NotebookSlm.Tests.Export.StaticExportTests

open System
open System.IO
open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Generation
open NotebookSlm.Export.Onnx
open NotebookSlm.Tests.Common
open NotebookSlm.Tests.Export.OnnxExportTests

let staticOptions = StaticExportOptions(PromptLength = 12, MaxNewTokens = 10)
let prompts = randomRows 33 300 [ 9; 12; 5 ]
/// Held apart from the evaluated prompts, as calibration data is in practice.
let calibrationPrompts = randomRows 44 300 [ 12; 7; 10; 4; 12; 9; 11; 6; 12; 8; 5; 12 ]

let graphsOf (dir: string) =
    Directory.GetFiles(dir, "*.onnx") |> Array.map (fun f -> Path.GetFileName f, Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes f))

/// TorchSharp logits (V) of the first token and of each forced step for one unpadded prompt.
let torchLogits (m: ILanguageModel) (prompt: int[]) (forced: int64 list) =
    use _ = torch.no_grad()
    let struct (src, mask) = Seq2SeqBatch.Pad([| prompt |], 0, "prompt")
    use s = m.StartDecoding(src, mask, forced.Length + 1, true)
    [ yield s.Prefill().data<float32>().ToArray()
      for f in forced -> s.Step(torch.tensor [| f |]).data<float32>().ToArray() ]

let maxDiff (a: float32[]) (b: float32[]) = Array.map2 (fun (x: float32) y -> abs (x - y)) a b |> Array.max

let exportStatic (m: ILanguageModel) (o: StaticExportOptions) =
    let dir = tempDir ()
    StaticExport.Save(m, dir, o) |> ignore
    dir

let configs = [ Presets.Micro.EncDec; Presets.Micro.DecoderOnly ]

/// Forced tokens of one row as steps of the one decoding loop (one token a step).
let steps (forced: int64 list) = [| for t in forced -> [| t |] |]

[<Tests>]
let tests =
    testSequenced <| testList "Static QDQ export (NPU-ready)" [
        test "every axis is fixed and only standard ONNX operators are used, fp32 and QDQ" {
            for config in configs do
                let m = LanguageModel.Create(config, 3L)
                let ranges = StaticExport.Calibrate(m, staticOptions, prompts, 4, tempDir (), 1)
                for o in [ staticOptions; staticOptions.With(QdqMode.A16W8, ranges) ] do
                    let dir = exportStatic m o
                    let graphs = graphsOf dir
                    Expect.equal graphs.Length 2 $"{config.Name}: two graphs"
                    for (file, g) in graphs do
                        for v in Seq.append g.Graph.Input g.Graph.Output do
                            for d in v.Type.TensorType.Shape.Dim do
                                Expect.isTrue (d.DimParam = "" && d.DimValue > 0L) $"{config.Name} {file} {v.Name}: static axis"
                        let custom = g.Graph.Node |> Seq.filter (fun n -> n.Domain <> "") |> Seq.map (fun n -> n.OpType) |> Seq.distinct |> List.ofSeq
                        Expect.isEmpty custom $"{config.Name} {file}: no contrib operators"
                        let quantizers = g.Graph.Node |> Seq.filter (fun n -> n.OpType = "QuantizeLinear") |> Seq.length
                        if o.Quantization = QdqMode.A16W8 then Expect.isGreaterThan quantizers 0 $"{file}: QDQ pairs"
                        else Expect.equal quantizers 0 $"{file}: fp32 has no QDQ"
        }

        test "fp32 static graphs give TorchSharp's logits within 1e-4 and its greedy tokens" {
            for config in configs do
                let m = spicedModel config 7L
                use sm = new StaticOnnxModel(exportStatic m staticOptions, OnnxRuntimeOptions(Threads = 1))
                for p in prompts do
                    let forced = [ 11L; 42L; 7L; 99L ]
                    let expected = torchLogits m p forced
                    let actual = sm.ForcedLogits([| p |], steps forced)
                    for (step, (e, a)) in Seq.indexed (Seq.zip expected actual) do
                        Expect.isLessThan (maxDiff e a) 1e-4f $"{config.Name} prompt of {p.Length}, step {step}"
                    let t = m.Generate([| p |], GenerationOptions(MaxNewTokens = 10, StopAtEos = false)).Tokens[0]
                    Expect.sequenceEqual (sm.Generate([| p |], GenerationOptions.Exactly 10).Tokens[0]) t $"{config.Name}: greedy tokens"
        }

        test "calibration sees every quantization point, and A16W8 stays closer to fp32 than A8W8" {
            for config in configs do
                let m = LanguageModel.Create(config, 5L)
                let ranges = StaticExport.Calibrate(m, staticOptions, calibrationPrompts, 10, tempDir (), 1)
                for KeyValue(point, r) in ranges do
                    Expect.isTrue (r.Min < r.Max) $"{point}: a real range"
                Expect.exists ranges.Keys (fun k -> k.EndsWith ".scores.key") "attention operands are quantization points"
                use fp32 = new StaticOnnxModel(exportStatic m staticOptions, OnnxRuntimeOptions(Threads = 1))
                let errorOf mode =
                    use q = new StaticOnnxModel(exportStatic m (staticOptions.With(mode, ranges)), OnnxRuntimeOptions(Threads = 1))
                    // Along the fp32 model's own greedy path: the distribution calibration saw.
                    [ for p in prompts do
                        let path = fp32.Generate([| p |], GenerationOptions.Exactly 4).Tokens[0] |> Array.take 3 |> Array.map int64 |> List.ofArray
                        let r, a = fp32.ForcedLogits([| p |], steps path), q.ForcedLogits([| p |], steps path)
                        for (x, y) in Seq.zip r a -> maxDiff x y / (x |> Array.map abs |> Array.max) ] |> List.max
                let e16, e8 = errorOf QdqMode.A16W8, errorOf QdqMode.A8W8
                Expect.isLessThan e16 0.05f $"{config.Name}: A16W8 relative logit error"
                Expect.isLessThan e8 0.5f $"{config.Name}: A8W8 relative logit error"
                Expect.isLessThan e16 e8 $"{config.Name}: 16-bit activations are the more accurate"
        }

        test "bad requests are clear errors" {
            let m = LanguageModel.Create(Presets.Micro.DecoderOnly, 1L)
            expectError<ArgumentException> (fun () -> StaticExport.Save(m, tempDir (), staticOptions.With(QdqMode.A8W8, null)) |> ignore)
                [ "A8W8"; "Ranges"; "Calibrate" ]
            use sm = new StaticOnnxModel(exportStatic m staticOptions, OnnxRuntimeOptions(Threads = 1))
            expectError<ArgumentException> (fun () -> sm.Generate([| Array.create 13 5 |], GenerationOptions.Exactly 2) |> ignore) [ "13 tokens"; "1 to 12" ]
            expectError<ArgumentException> (fun () -> sm.Generate([| [| 5 |] |], GenerationOptions.Exactly 11) |> ignore) [ "10 new tokens" ]
            expectError<ArgumentException> (fun () -> sm.Generate([| [| 5 |]; [| 6 |] |], GenerationOptions.Exactly 2) |> ignore) [ "one prompt at a time"; "got 2" ]
            let dynamicDir = tempDir ()
            OnnxExport.Save(LanguageModel.Create(onnxDecOnly, 1L), dynamicDir) |> ignore
            expectError<InvalidDataException> (fun () -> new StaticOnnxModel(dynamicDir) |> ignore) [ "not a static export" ]
        }
    ]
