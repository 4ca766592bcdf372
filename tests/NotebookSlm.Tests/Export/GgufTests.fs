module NotebookSlm.Tests.Export.GgufTests

open System
open System.IO
open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Generation
open NotebookSlm.Export.Gguf
open NotebookSlm.Benchmarks
open NotebookSlm.Tests.Common

let private tempFile (name: string) =
    let dir = Path.Combine(Path.GetTempPath(), $"gguf-tests-{Environment.ProcessId}")
    Directory.CreateDirectory dir |> ignore
    Path.Combine(dir, name)

/// A micro Llama-style decoder-only model: attention width (4 x 32) differs from d_model (64),
/// as in the 330M models, so llama.cpp must honour attention.key_length; GQA 2:1 in either grouping.
let llamaMicro (interleaved: bool) =
    Presets.Micro.DecoderOnly.With(name = (if interleaved then "micro-llama-interleaved" else "micro-llama"),
                                   mlp = MlpKind.SwiGlu, bias = false, dModel = 64, heads = 4, kvHeads = 2, headDim = 32,
                                   mlpHidden = 128, kvInterleaved = interleaved)

let private softmax (logits: float32[]) =
    let m = Array.max logits
    let e = logits |> Array.map (fun x -> exp (float (x - m)))
    let s = Array.sum e
    e |> Array.map (fun x -> x / s)

/// Our greedy continuation of one prompt and the distribution before each token (TorchSharp, fp32).
let private ours (m: ILanguageModel) (prompt: int[]) (steps: int) =
    use _ = torch.no_grad()
    let struct (src, mask) = Seq2SeqBatch.Pad([| prompt |], m.Config.PadId, "prompt")
    use s = m.StartDecoding(src, mask, steps + 1, true)
    let mutable logits = s.Prefill()
    [ for _ in 1 .. steps ->
        let l = logits.data<float32>().ToArray()
        let token = Array.IndexOf(l, Array.max l)
        logits <- s.Step(torch.tensor [| int64 token |])
        token, softmax l ]

[<Tests>]
let tests =
    testList "GGUF" [
        test "writer and reader round-trip metadata of every type and f32/f16 tensors bit-exactly, aligned" {
            let path = tempFile "roundtrip.gguf"
            let f32 = Array.init 35 (fun i -> float32 (sin (float i)) * 1e3f)
            let f16 = Array.init 17 (fun i -> Half.op_Explicit (float32 i * 0.37f - 3.0f))
            let w = GgufWriter()
            w.Add("general.architecture", "llama").Add("u32", 7u).Add("i32", -5).Add("f32", 0.1f).Add("b", true)
             .Add("u64", UInt64.MaxValue).Add("f64", Math.PI).Add("strings", [| "a"; ""; "\u2581é" |])
             .Add("floats", [| 1.5f; -0.0f; Single.MaxValue |]).Add("ints", [| 1; -2; Int32.MinValue |])
             .Add("general.alignment", 64u) |> ignore
            w.AddTensor("a", [| 5L; 7L |], f32).AddTensor("b", [| 17L |], f16) |> ignore
            w.Save path
            let r = GgufReader.Open path
            Expect.equal r.Version 3u "version"
            Expect.equal r.Alignment 64 "alignment from general.alignment"
            Expect.equal (r.Get<string> "general.architecture") "llama" "string"
            Expect.equal (r.Get<uint32> "u32") 7u "u32"
            Expect.equal (r.Get<int> "i32") -5 "i32"
            Expect.equal (r.Get<float32> "f32") 0.1f "f32"
            Expect.isTrue (r.Get<bool> "b") "bool"
            Expect.equal (r.Get<uint64> "u64") UInt64.MaxValue "u64"
            Expect.equal (r.Get<float> "f64") Math.PI "f64"
            Expect.sequenceEqual (r.Get<string[]> "strings") [| "a"; ""; "\u2581é" |] "string array"
            Expect.sequenceEqual (r.Get<float32[]> "floats" |> Array.map BitConverter.SingleToInt32Bits) ([| 1.5f; -0.0f; Single.MaxValue |] |> Array.map BitConverter.SingleToInt32Bits) "float array"
            Expect.sequenceEqual (r.Get<int[]> "ints") [| 1; -2; Int32.MinValue |] "int array"
            Expect.sequenceEqual (r.Tensor("a").Shape) [| 5L; 7L |] "row-major shape back (ne reversed in the file)"
            Expect.equal (r.Tensor("b").Type) GgmlType.F16 "f16 type"
            for t in r.Tensors do Expect.equal ((r.DataStart + int64 t.Offset) % 64L) 0L $"{t.Name} aligned"
            Expect.sequenceEqual (r.ReadBytes "a") (GgufWriter.Bytes f32) "f32 bytes"
            Expect.sequenceEqual (r.ReadBytes "b") (GgufWriter.Bytes f16) "f16 bytes"
        }

        test "export maps tensors, permutes q/k rows for llama.cpp's RoPE and query heads for its GQA grouping" {
            let c = llamaMicro false
            let m = spicedModel c 3L
            let path = tempFile "micro.gguf"
            let res = GgufExport.Save(m, path)
            let r = GgufReader.Open path
            Expect.equal res.Tensors r.Tensors.Count "tensor count"
            Expect.isFalse (r.Tensors |> Seq.exists (fun t -> t.Name = "output.weight")) "tied: no output.weight"
            Expect.equal (r.Get<uint32> "llama.attention.key_length") 32u "head size stated"
            Expect.equal (r.Get<string[]> "tokenizer.ggml.tokens").Length c.VocabSize "vocabulary rows"
            let sd = m.Module.state_dict()
            let floats (name: string) = sd[name].contiguous().data<float32>().ToArray()
            Expect.sequenceEqual (r.ReadFloats "token_embd.weight") (floats "transformer.wte.weight") "embedding untouched"
            Expect.sequenceEqual (r.ReadFloats "blk.1.ffn_up.weight") (floats "transformer.h.1.mlp.fc1.weight") "fc1 is ffn_up"
            let q = floats "transformer.h.0.attn.q_linear.weight"
            let gq = r.ReadFloats "blk.0.attn_q.weight"
            let d, dh, g, hkv = c.DModel, c.HeadDim, c.GroupSize, c.KvHeads
            for h' in 0 .. c.Heads - 1 do
                let h = (h' % g) * hkv + h' / g
                for i in 0 .. dh / 2 - 1 do
                    for j in 0 .. 1 do
                        let ours, theirs = (h * dh + j * dh / 2 + i) * d, (h' * dh + 2 * i + j) * d
                        Expect.sequenceEqual gq[theirs .. theirs + d - 1] q[ours .. ours + d - 1] $"q head {h'} row {2 * i + j}"
            let r16 = GgufReader.Open(GgufExport.Save(m, tempFile "micro16.gguf", GgufExportOptions(Dtype = GgmlType.F16)).Path)
            Expect.equal (r16.Tensor "blk.0.attn_v.weight").Type GgmlType.F16 "f16 weights"
            Expect.equal (r16.Tensor "blk.0.attn_norm.weight").Type GgmlType.F32 "norm gains stay f32"
        }

        test "configurations llama.cpp cannot run are rejected with the reason" {
            let m = LanguageModel.Create(Presets.Micro.EncDec, 1L)
            expectError<ConfigException> (fun () -> GgufExport.Save(m, tempFile "x.gguf") |> ignore) [ "encoder-decoder"; "biases"; "MLP" ]
            Expect.isNonEmpty (GgufExport.Problems(llamaMicro false |> fun c -> c.With(ropeFactor = 2.0))) "NTK factor"
            Expect.isEmpty (GgufExport.Problems(LlamaStyle.Of Presets.Paper330M.DecoderOnly)) "Llama-style 330M exports"
            let ls = LlamaStyle.Of Presets.Paper330M.DecoderOnly
            let total (c: ModelConfig) = float (NotebookSlm.Accounting.ParameterCounts.Of(c).Total)
            Expect.isLessThan (abs (total ls / total Presets.Paper330M.DecoderOnly - 1.0)) 0.01 "parameter count kept"
        }

        test "slm export gguf writes a Llama-style preset in f16 and refuses an encoder-decoder" {
            let path = tempFile "cli.gguf"
            let rc, out, err = slm [ "export"; "gguf"; "--preset"; "micro-deconly"; "--llama-style"; "--dtype"; "f16"; "--out"; path ]
            Expect.equal rc 0 $"exit code ({out}{err})"
            let r = GgufReader.Open path
            Expect.equal (r.Get<string> "general.architecture") "llama" "architecture"
            Expect.equal (r.Get<string> "general.name") "micro-deconly-llama" "Llama-style variant"
            Expect.equal (r.Tensor "blk.2.ffn_gate.weight").Type GgmlType.F16 "f16"
            let rc2, out2, err2 = slm [ "export"; "gguf"; "--preset"; "micro-encdec"; "--out"; tempFile "no.gguf" ]
            Expect.notEqual rc2 0 "encoder-decoder refused"
            Expect.stringContains (out2 + err2) "encoder-decoder" "reason given"
        }

        testSequenced <| testList "llama.cpp" [
            for interleaved in [ false; true ] ->
                test $"llama.cpp's greedy continuation and distributions equal ours (fp32, KvInterleaved={interleaved})" {
                    let c = llamaMicro interleaved
                    let m = spicedModel c 11L
                    let path = tempFile $"check-{interleaved}.gguf"
                    GgufExport.Save(m, path) |> ignore
                    let prompt = (randomRows 5 c.VocabSize [ 12 ])[0]
                    let steps = 16
                    let expected = ours m prompt steps
                    let actual = LlamaCppPeer.Check(path, c.VocabSize, prompt, steps, log = Action<string>(eprintfn "%s"))
                    let diffs =
                        [ for ((_, p), q) in Seq.zip expected actual.Probabilities ->
                            Array.map2 (fun (a: float) (b: float32) -> abs (a - float b)) p q |> Array.max ]
                    // Measured: at most 2e-5 (llama.cpp's own fp32 kernels, flash attention off).
                    for (step, d) in Seq.indexed diffs do Expect.isLessThan d 1e-4 $"step {step}: max |probability difference|"
                    Expect.sequenceEqual actual.Tokens (expected |> List.map fst) "greedy tokens"
                }
        ]
    ]
