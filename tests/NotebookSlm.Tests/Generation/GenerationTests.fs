module NotebookSlm.Tests.Generation.GenerationTests

open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Generation
open NotebookSlm.Tests.Common

let fsConfig = { FsCheckConfig.defaultConfig with maxTest = 5 }

let spicedEncDec = lazy (spicedModel Presets.Micro.EncDec 5L)
let spicedDecOnly = lazy (spicedModel Presets.Micro.DecoderOnly 6L)
let models () = [ spicedEncDec.Value; spicedDecOnly.Value ]

let greedy n = GenerationOptions(MaxNewTokens = n, StopAtEos = false)
let recompute n = GenerationOptions(MaxNewTokens = n, StopAtEos = false, UseCache = false)

/// Logits of every step of a session, for the given forced tokens.
let stepLogits (m: ILanguageModel) (prompts: int[][]) (forced: int64[][]) (useCache: bool) =
    use _ = torch.no_grad()
    let struct (src, mask) = Seq2SeqBatch.Pad(prompts, 0, "prompt")
    use s = m.StartDecoding(src, mask, forced.Length + 1, useCache)
    [ yield s.Prefill()
      for step in forced -> s.Step(torch.tensor step) ]

/// A scripted model: row r emits EOS (id 2) at step eosAt[r], token 7 before.
type Scripted(eosAt: int[]) =
    let config = Presets.Micro.DecoderOnly
    interface ILanguageModel with
        member _.Config = config
        member _.Module = torch.nn.Identity() :> torch.nn.Module
        member _.TargetLogits _ = failwith "not used"
        member _.StartDecoding(src, _, _, _) =
            let mutable step = 0
            let next () =
                let rows =
                    eosAt |> Array.map (fun e ->
                        Array.init config.VocabSize (fun v -> if v = (if step >= e then 2 else 7) then 1.f else 0.f))
                step <- step + 1
                torch.tensor(Array.concat rows).reshape(int64 eosAt.Length, int64 config.VocabSize)
            { new IDecodingSession with
                member _.Prefill() = next ()
                member _.Step _ = next ()
                member _.Dispose() = () }

[<Tests>]
let tests =
    testList "Generation" [
        testPropertyWithConfig fsConfig "cached decoding gives the same tokens as full recomputation (both architectures)" <| fun (seed: int) ->
            models () |> List.forall (fun m ->
                let prompts = randomRows seed 300 [ 3 + abs seed % 6 ]
                let cached = m.Generate(prompts, greedy 12)
                let recomputed = m.Generate(prompts, recompute 12)
                cached.Tokens[0] = recomputed.Tokens[0])

        test "cached and recomputed logits agree at every step, batched with padding" {
            for m in models () do
                let prompts = randomRows 3 300 [ 7; 3; 5 ]
                let forced = [| for i in 0 .. 5 -> [| int64 (10 + i); int64 (20 + i); int64 (30 + i) |] |]
                let a = stepLogits m prompts forced true
                let b = stepLogits m prompts forced false
                for (x, y) in List.zip a b do
                    Expect.isLessThan (maxDiff x y) 1e-3 $"{m.Config.Name}: step logits"
        }

        test "a batch of prompts gives each prompt the tokens it gets alone" {
            for m in models () do
                let prompts = randomRows 11 300 [ 8; 3; 5 ]
                let batched = m.Generate(prompts, greedy 10)
                for i in 0 .. 2 do
                    let alone = m.Generate([| prompts[i] |], greedy 10)
                    Expect.sequenceEqual batched.Tokens[i] alone.Tokens[0] $"{m.Config.Name} row {i}"
        }

        test "sampling with the same seed repeats itself; another seed differs" {
            let m = spicedEncDec.Value
            let sampling seed = GenerationOptions(MaxNewTokens = 16, Greedy = false, Temperature = 1.5, Seed = seed, StopAtEos = false)
            let o = sampling 4L
            let a = m.Generate(randomRows 1 300 [ 5 ], o)
            let b = m.Generate(randomRows 1 300 [ 5 ], o)
            let c = m.Generate(randomRows 1 300 [ 5 ], sampling 5L)
            Expect.sequenceEqual a.Tokens[0] b.Tokens[0] "same seed"
            Expect.notEqual a.Tokens[0] c.Tokens[0] "different seed"
        }

        test "top-k 1 sampling is greedy decoding" {
            let m = spicedDecOnly.Value
            let prompts = randomRows 2 300 [ 6 ]
            let g = m.Generate(prompts, greedy 10)
            let s = m.Generate(prompts, GenerationOptions(MaxNewTokens = 10, Greedy = false, TopK = 1, Seed = 9L, StopAtEos = false))
            Expect.sequenceEqual s.Tokens[0] g.Tokens[0] "same tokens"
        }

        test "top-k and top-p never pick a token outside their set" {
            // probabilities 0.5, 0.3, 0.15, 0.05
            let logits = torch.tensor([| 0.5f; 0.3f; 0.15f; 0.05f |]).log().unsqueeze(0).expand(400L, 4L).contiguous()
            let gen = new torch.Generator(1UL)
            let picks (o: GenerationOptions) = (Sampling.Pick(logits, o, gen)).data<int64>().ToArray() |> Set.ofArray
            Expect.equal (picks (GenerationOptions(Greedy = false, TopK = 2))) (set [ 0L; 1L ]) "top-k 2"
            Expect.equal (picks (GenerationOptions(Greedy = false, TopP = 0.75))) (set [ 0L; 1L ]) "top-p 0.75 keeps 0.5 + 0.3"
            Expect.equal (picks (GenerationOptions(Greedy = false, TopP = 0.81))) (set [ 0L; 1L; 2L ]) "top-p 0.81 needs a third"
            Expect.equal (picks (GenerationOptions(Greedy = false))) (set [ 0L; 1L; 2L; 3L ]) "no cut"
        }

        test "each row stops at its own EOS and the batch stops when all have" {
            let m = Scripted [| 2; 4 |] :> ILanguageModel
            let r = m.Generate([| [| 5 |]; [| 6 |] |], GenerationOptions(MaxNewTokens = 10))
            Expect.sequenceEqual r.Tokens[0] [| 7; 7; 2 |] "row 0 ends at step 2"
            Expect.sequenceEqual r.Tokens[1] [| 7; 7; 7; 7; 2 |] "row 1 ends at step 4"
            Expect.equal r.Steps 5 "no step after the last EOS"
        }

        test "the token callback sees every token in order, and returning false ends that row there" {
            let m = Scripted [| 2; 4 |] :> ILanguageModel
            let seen = ResizeArray<int * int>()
            let r = m.Generate([| [| 5 |]; [| 6 |] |], GenerationOptions(MaxNewTokens = 10), fun row token -> seen.Add((row, token)); not (row = 1 && seen.Count >= 4))
            Expect.sequenceEqual r.Tokens[0] [| 7; 7; 2 |] "row 0 ends at its EOS"
            Expect.sequenceEqual r.Tokens[1] [| 7; 7 |] "row 1 ends where the callback said so"
            Expect.sequenceEqual seen [ (0, 7); (1, 7); (0, 7); (1, 7) ; (0, 2) ] "each token once, as taken"
            Expect.equal r.Steps 3 "the batch ends when both rows have"
        }

        test "invalid options are rejected with the field named" {
            expectError<System.ArgumentException> (fun () -> GenerationOptions(MaxNewTokens = 0).Validate() |> ignore) [ "MaxNewTokens" ]
            expectError<System.ArgumentException> (fun () -> GenerationOptions(Greedy = false, TopP = 1.5).Validate() |> ignore) [ "TopP" ]
        }
    ]
