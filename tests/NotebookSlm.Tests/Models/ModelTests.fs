module NotebookSlm.Tests.Models.ModelTests

open System
open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Generation
open NotebookSlm.Tests.Common

let fsConfig = { FsCheckConfig.defaultConfig with maxTest = 6 }

let model (c: ModelConfig) = let m = LanguageModel.Create(c, 3L) in m.Module.eval(); m

let encdec = lazy (model Presets.Micro.EncDec)
let deconly = lazy (model Presets.Micro.DecoderOnly)
let both () = [ encdec.Value; deconly.Value ]

let batchOf (seed: int) (srcLens: int list) (tgtLens: int list) =
    Seq2SeqBatch.From(randomRows seed 300 srcLens, randomRows (seed + 1) 300 tgtLens, 0)

let logits (m: ILanguageModel) (b: Seq2SeqBatch) =
    use _ = torch.no_grad()
    m.TargetLogits b

/// Overwrites the padded slots of a batch with random ids: masks alone must hide them.
let scramblePadding (b: Seq2SeqBatch) =
    let noise = torch.randint(4L, 300L, b.Source.shape)
    new Seq2SeqBatch(torch.where(b.SourceMask, b.Source, noise), b.SourceMask, b.Target, b.TargetMask)

[<Tests>]
let tests =
    testList "Models" [
        test "both architectures give logits (B, T, V) at every target position" {
            for m in both () do
                use b = batchOf 1 [ 5; 3 ] [ 4; 2 ]
                Expect.sequenceEqual (logits m b).shape [| 2L; 4L; int64 m.Config.VocabSize |] m.Config.Name
        }

        test "the encoder returns one state per source token" {
            let m = encdec.Value :?> EncoderDecoderLM
            use b = batchOf 2 [ 6; 4 ] [ 2; 2 ]
            use _ = torch.no_grad()
            Expect.sequenceEqual (m.Encode(b.Source, b.SourceMask)).shape [| 2L; 6L; 32L |] "(B, S, D)"
        }

        testPropertyWithConfig fsConfig "future target tokens never change earlier logits (both architectures)" <| fun (seed: int) (pos: int) ->
            both () |> List.forall (fun m ->
                use b = batchOf seed [ 5 ] [ 6 ]
                let k = abs pos % 5                    // change target k: decoder input k + 1 onwards
                let changed = b.Target.clone()
                changed[0L, int64 k] <- torch.tensor((b.Target[0L, int64 k].item<int64>() + 7L) % 300L + 4L)
                use b2 = new Seq2SeqBatch(b.Source, b.SourceMask, changed, b.TargetMask)
                let l1, l2 = logits m b, logits m b2
                maxDiff (l1.narrow(1, 0L, int64 k + 1L)) (l2.narrow(1, 0L, int64 k + 1L)) < 1e-6
                && maxDiff (l1.narrow(1, int64 k + 1L, 1L)) (l2.narrow(1, int64 k + 1L, 1L)) > 1e-6)

        test "the encoder is bidirectional: the last source token reaches the first state" {
            let m = encdec.Value :?> EncoderDecoderLM
            use b = batchOf 3 [ 6 ] [ 2 ]
            let changed = b.Source.clone()
            changed[0L, 5L] <- torch.tensor(299L)
            use _ = torch.no_grad()
            let s1, s2 = m.Encode(b.Source, b.SourceMask), m.Encode(changed, b.SourceMask)
            Expect.isGreaterThan (maxDiff (s1.narrow(1, 0L, 1L)) (s2.narrow(1, 0L, 1L))) 1e-6 "first state moved"
        }

        testPropertyWithConfig fsConfig "padding never changes the logits of real tokens (both architectures)" <| fun (seed: int) ->
            both () |> List.forall (fun m ->
                let rng = Random seed
                let sLen, tLen = rng.Next(2, 7), rng.Next(2, 6)
                use alone = batchOf seed [ sLen ] [ tLen ]
                // The same row beside a longer one: it gets source and target padding.
                let srcRows = Array.append (randomRows seed 300 [ sLen ]) (randomRows (seed + 9) 300 [ sLen + 4 ])
                let tgtRows = Array.append (randomRows (seed + 1) 300 [ tLen ]) (randomRows (seed + 10) 300 [ tLen + 3 ])
                use padded = scramblePadding (Seq2SeqBatch.From(srcRows, tgtRows, 0))
                let a = logits m alone
                let p = (logits m padded).narrow(0, 0L, 1L).narrow(1, 0L, int64 tLen)
                maxDiff a p < 1e-4)

        test "the loss ignores padding: a batch averages the real tokens of its rows" {
            for m in both () do
                use _ = torch.no_grad()
                use r1 = batchOf 5 [ 4 ] [ 3 ]
                use r2 = batchOf 6 [ 6 ] [ 5 ]
                use both = Seq2SeqBatch.From(Array.append (randomRows 5 300 [ 4 ]) (randomRows 6 300 [ 6 ]),
                                             Array.append (randomRows 6 300 [ 3 ]) (randomRows 7 300 [ 5 ]), 0)
                let l1, l2 = m.Loss(r1).item<float32>(), m.Loss(r2).item<float32>()
                let expected = (3.f * l1 + 5.f * l2) / 8.f
                Expect.floatClose Accuracy.medium (float (m.Loss(both).item<float32>())) (float expected) m.Config.Name
        }

        test "the released forward(encoder ids, decoder ids) equals the seq2seq view" {
            let m = encdec.Value :?> EncoderDecoderLM
            use b = batchOf 8 [ 5; 5 ] [ 4; 4 ]
            use _ = torch.no_grad()
            let decIn = torch.cat([| torch.ones(2L, 1L, dtype = torch.ScalarType.Int64); b.Target.narrow(1, 0L, 3L) |], 1L)
            Expect.isLessThan (maxDiff (m.forward(b.Source, decIn)) (m.TargetLogits b)) 1e-6 "same logits"
        }

        test "dropout acts in training mode only" {
            let m = LanguageModel.Create(Presets.Micro.EncDec.With(dropout = 0.3), 1L)
            use b = batchOf 9 [ 5 ] [ 4 ]
            use _ = torch.no_grad()
            m.Module.train()
            Expect.isGreaterThan (maxDiff (m.TargetLogits b) (m.TargetLogits b)) 1e-6 "stochastic in training"
            m.Module.eval()
            Expect.equal (maxDiff (m.TargetLogits b) (m.TargetLogits b)) 0.0 "deterministic in eval"
        }

        test "the same seed builds the same weights" {
            let a = LanguageModel.Create(Presets.Micro.DecoderOnly, 11L)
            let b = LanguageModel.Create(Presets.Micro.DecoderOnly, 11L)
            for (struct (n, p), struct (_, q)) in Seq.zip (a.Module.named_parameters()) (b.Module.named_parameters()) do
                Expect.equal (maxDiff p q) 0.0 n
        }

        test "the parameter names are the released checkpoint's" {
            let names = (encdec.Value.Module.state_dict()).Keys |> Set.ofSeq
            for key in [ "transformer.wte.weight"; "transformer.e.0.ln1.weight"; "transformer.e.0.attn.q_linear.weight"
                         "transformer.e.0.attn.out_linear.bias"; "transformer.e.1.mlp.fc1.weight"; "transformer.e.1.ln2.weight"
                         "transformer.ln_e.weight"; "transformer.h.0.ln3.weight"; "transformer.h.0.causal_attn.k_linear.weight"
                         "transformer.h.1.cross_attn.v_linear.bias"; "transformer.h.1.mlp.fc2.weight"; "transformer.ln_f.weight" ] do
                Expect.contains names key key
        }
    
        test "an unpadded batch gives the same logits whether or not it is marked padded" {
            for m in both () do
                use b = batchOf 10 [ 5; 5 ] [ 3; 4 ]
                Expect.isFalse b.SourcePadded "equal sources are known unpadded on the host"
                // The same tensors (not disposed twice), with the default flag: padded, so masked.
                let masked = new Seq2SeqBatch(b.Source, b.SourceMask, b.Target, b.TargetMask)
                Expect.isTrue masked.SourcePadded "a batch made from tensors alone is masked"
                Expect.isLessThan (maxDiff (logits m b) (logits m masked)) 1e-5 m.Config.Name
        }

        test "tensors follow the model's device: nothing in forward, backward or decoding uses the default device" {
            let models = [ LanguageModel.Create(Presets.Micro.EncDec, 5L); LanguageModel.Create(Presets.Micro.DecoderOnly, 5L) ]
            let batches = [ for lens in [ [ 5; 3 ]; [ 4; 4 ] ] -> Seq2SeqBatch.From(randomRows 12 300 lens, randomRows 13 300 [ 3; 2 ], 0, torch.CPU) ]
            withMetaDefault <| fun () ->
                for m in models do
                    for b in batches do
                        let what = $"{m.Config.Name} padded={b.SourcePadded}"
                        let loss = LanguageModel.TokenCrossEntropy(m.TargetLogits b, b.Target, b.TargetMask)
                        loss.backward()
                        Expect.isTrue (Double.IsFinite(loss.item<float32>() |> float)) $"{what}: a finite loss on the CPU"
                        for cache in [ true; false ] do
                            use _ = torch.no_grad()
                            let mask = if b.SourcePadded then b.SourceMask else null
                            use session = m.StartDecoding(b.Source, mask, 3, cache)
                            let first = session.Prefill()
                            let next = session.Step(first.argmax(-1L))
                            Expect.sequenceEqual next.shape [| 2L; int64 m.Config.VocabSize |] $"{what} cache={cache}: (B, V)"
                            Expect.equal next.device_type DeviceType.CPU $"{what} cache={cache}: logits on the CPU"
                    for options in [ GenerationOptions(MaxNewTokens = 3); GenerationOptions(MaxNewTokens = 3, Greedy = false, TopK = 128, TopP = 0.9) ] do
                        let r = m.Generate([ [| 5; 6; 7 |]; [| 8; 9 |] ], options)
                        Expect.equal r.Tokens.Count 2 $"{m.Config.Name} greedy={options.Greedy}: one row per prompt"
            for b in batches do b.Dispose()
        }
    ]
