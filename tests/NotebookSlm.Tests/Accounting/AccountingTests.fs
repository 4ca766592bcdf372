module NotebookSlm.Tests.Accounting.AccountingTests

open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Accounting
open NotebookSlm.Tests.Common

/// Sums the model's real parameters into the same components as ParameterCounts.
let measured (m: ILanguageModel) =
    let groups =
        m.Module.named_parameters()
        |> Seq.map (fun struct (name, p) ->
            let comp =
                if name = "transformer.wte.weight" then "embedding"
                elif name.StartsWith "lm_head" then "lm_head"
                elif name.StartsWith "transformer.e." then
                    if name.Contains ".attn." then "encoder_self_attention" elif name.Contains ".mlp." then "encoder_mlp" else "encoder_norms"
                elif name.StartsWith "transformer.h." then
                    if name.Contains ".cross_attn." then "cross_attention"
                    elif name.Contains "attn." then "decoder_self_attention"
                    elif name.Contains ".mlp." then "decoder_mlp"
                    else "decoder_norms"
                else "final_norms"
            comp, p.NumberOfElements)
        |> Seq.groupBy fst
        |> Seq.map (fun (k, xs) -> k, Seq.sumBy snd xs)
        |> Map.ofSeq
    groups

let variants =
    [ Presets.Micro.EncDec
      Presets.Micro.DecoderOnly
      Presets.Micro.EncDec.With(mlp = MlpKind.SwiGlu, bias = false, name = "micro-llama-encdec")
      Presets.Micro.DecoderOnly.With(mlp = MlpKind.SwiGlu, bias = false, name = "micro-llama-deconly")
      Presets.Micro.EncDec.With(tiedEmbeddings = false, name = "micro-untied")
      Presets.Tiny.EncDec2_3 ]

[<Tests>]
let tests =
    testList "Accounting" [
        test "closed-form parameter counts equal the built models' parameters, component by component" {
            for c in variants do
                let m = LanguageModel.Create c
                let real = measured m
                let formula = ParameterCounts.Of c
                for (name, count) in formula.ByComponent() do
                    Expect.equal (Map.tryFind name real |> Option.defaultValue 0L) count $"{c.Name}: {name}"
                Expect.equal (real |> Map.toSeq |> Seq.sumBy snd) formula.Total $"{c.Name}: total"
        }

        test "decoder-only decode cost grows with the input; the encoder-decoder's grows only through cross-attention" {
            let dec = CostModel Presets.Paper330M.DecoderOnly
            let ed = CostModel Presets.Paper330M.EncDec2_3
            let slope (c: CostModel) = (c.DecodeTokenFlops(4096, 0) - c.DecodeTokenFlops(512, 0)) / 3584.0
            // per extra input token: 4 A per decoder layer (QK and AV)
            Expect.floatClose Accuracy.high (slope dec) (4.0 * 384.0 * 48.0) "decoder-only: all 48 layers"
            Expect.floatClose Accuracy.high (slope ed) (4.0 * 384.0 * 12.0) "encoder-decoder: 12 cross-attention layers"
        }

        test "a decode step costs 2 FLOPs per weight it multiplies, plus 4 A per visible key" {
            let c = Presets.Micro.DecoderOnly
            let d, a, kv, m = float c.DModel, float c.AttentionWidth, float c.KvWidth, float c.MlpHidden
            let perLayerWeights = d * a + 2.0 * d * kv + a * d + 2.0 * d * m
            let expected = float c.DecoderLayers * (2.0 * perLayerWeights + 4.0 * a * 1.0) + 2.0 * d * float c.VocabSize
            Expect.floatClose Accuracy.high ((CostModel c).DecodeTokenFlops(0, 0)) expected "empty input, first token"
        }

        test "generation FLOPs are the first token plus every later step" {
            for c in [ Presets.Tiny.EncDec2_3; Presets.Tiny.DecoderOnly ] do
                let m = CostModel c
                let n = 16
                let steps = [ for t in 1 .. n - 1 -> m.DecodeTokenFlops(100, if c.IsEncoderDecoder then t else t - 1) ]
                Expect.floatClose Accuracy.high (m.GenerationFlops(100, n)) (m.FirstTokenFlops 100 + List.sum steps) c.Name
        }

        test "the cache the model allocates is the size the cost model predicts" {
            for c in [ Presets.Micro.EncDec; Presets.Micro.DecoderOnly ] do
                let m = LanguageModel.Create c
                let s, n, b = 9, 6, 3
                use _ = torch.no_grad()
                let struct (src, mask) = Seq2SeqBatch.Pad(randomRows 1 300 (List.replicate b s), 0, "prompt")
                use session = m.StartDecoding(src, mask, n, true)
                session.Prefill() |> ignore
                let cost = CostModel c
                let cacheField = session.GetType().GetField("cache", System.Reflection.BindingFlags.NonPublic ||| System.Reflection.BindingFlags.Instance)
                let cache = cacheField.GetValue(session) :?> KvCache
                // capacity: decoder tokens (BOS + n) for encoder-decoders, prompt + n for decoder-only
                let selfTokens = if c.IsEncoderDecoder then n + 1 else n
                Expect.equal cache.Bytes (cost.SelfCacheBytes(b, s, selfTokens, 4) + cost.CrossCacheBytes(b, s, 4)) c.Name
        }
    ]
