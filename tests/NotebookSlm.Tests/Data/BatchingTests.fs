module NotebookSlm.Tests.Data.BatchingTests

open System
open System.Collections.Generic
open Expecto
open NotebookSlm.Data
open NotebookSlm.Tokenization
open NotebookSlm.Tests.Common

let pairs (seed: int) (n: int) =
    let rng = Random seed
    [| for _ in 1 .. n -> TokenizedPair(Array.init (rng.Next(5, 300)) (fun _ -> 7), Array.init (rng.Next(2, 60)) (fun _ -> 8)) |]

/// SHA-256 (hex) of the batch order of a fixed synthetic dataset over epochs 0-2: each
/// batch's example indices, in order, batch after batch.
let batchOrderDigest (seed: int) =
    let data = pairs 5 700
    let index = Dictionary<TokenizedPair, int>(HashIdentity.Reference)
    data |> Array.iteri (fun i p -> index[p] <- i)
    use sha = Security.Cryptography.IncrementalHash.CreateHash(Security.Cryptography.HashAlgorithmName.SHA256)
    for epoch in 0 .. 2 do
        for batch in Batching.Epoch(data, BatchingOptions(BatchSize = 8, BucketBatches = 4, Seed = seed), epoch) do
            for p in batch do sha.AppendData(BitConverter.GetBytes index[p])
            sha.AppendData(BitConverter.GetBytes -1)
    Convert.ToHexString(sha.GetHashAndReset())

/// Child mode `batch-order SEED` (see Main.fs): prints batchOrderDigest SEED.
let printBatchOrder (args: string list) =
    match args with
    | [ seed ] ->
        printfn "%s" (batchOrderDigest (int seed))
        0
    | _ ->
        eprintfn "usage: --child batch-order SEED"
        2

[<Tests>]
let seeds =
    testList "Seed derivation" [
        test "SplitMix64 gives the reference generator's first outputs from seed 0" {
            Expect.equal (Shuffling.SplitMix64 0UL) 0xE220A8397B1DCDAFUL "first output"
            Expect.equal (Shuffling.SplitMix64 0x9E3779B97F4A7C15UL) 0x6E789E6AA1B965F4UL "second output (state advanced once)"
        }

        test "derived seeds are fixed numbers, the same in every process and .NET version" {
            // Computed independently (Python, from the formula in DeriveSeed's documentation).
            Expect.equal (Shuffling.DeriveSeed 0L) 1896895516 "seed 0, no stream"
            Expect.equal (Shuffling.DeriveSeed(17L, 3L)) 1969109537 "seed 17, epoch 3"
            Expect.equal (Shuffling.DeriveSeed(-1L, 0L, 5L)) 88669393 "seed -1, streams 0 and 5"
        }

        test "the seed, each stream label and their order all change the derived seed" {
            let all = [ Shuffling.DeriveSeed(1L, 0L); Shuffling.DeriveSeed(2L, 0L); Shuffling.DeriveSeed(1L, 1L)
                        Shuffling.DeriveSeed(1L, 0L, 1L); Shuffling.DeriveSeed(1L, 1L, 0L); Shuffling.DeriveSeed 1L ]
            Expect.equal (List.distinct all).Length all.Length $"distinct: {all}"
            Expect.isTrue (all |> List.forall (fun s -> s >= 0)) "non-negative"
        }
    ]

[<Tests>]
let tests =
    testList "Batching" [
        test "an epoch yields every example exactly once" {
            let data = pairs 1 1003
            let o = BatchingOptions(BatchSize = 16, Seed = 4)
            let seen = Batching.Epoch(data, o, 0) |> Seq.collect id |> Seq.map (fun p -> LanguagePrimitives.PhysicalHash p) |> Seq.sort |> Seq.toArray
            Expect.sequenceEqual seen (data |> Array.map LanguagePrimitives.PhysicalHash |> Array.sort) "each once"
        }

        test "length bucketing pads far less than random batches" {
            let data = pairs 2 2000
            let bucketed = Batching.PaddingFraction(Batching.Epoch(data, BatchingOptions(BatchSize = 16, Seed = 1), 0))
            let random = Batching.PaddingFraction(Batching.Epoch(data, BatchingOptions(BatchSize = 16, Seed = 1, BucketBatches = 1), 0))
            Expect.isLessThan bucketed (random / 3.0) $"bucketed {bucketed:P1} vs random {random:P1}"
        }

        test "the seed and the epoch fix the batch order" {
            let data = pairs 3 500
            let order o e = Batching.Epoch(data, o, e) |> Seq.map (fun b -> b |> Seq.map LanguagePrimitives.PhysicalHash |> Seq.toList) |> Seq.toList
            let o = BatchingOptions(BatchSize = 8, Seed = 9)
            Expect.equal (order o 0) (order o 0) "same seed, same epoch"
            Expect.notEqual (order o 0) (order o 1) "next epoch reshuffles"
        }

        test "the batch order is the same in every process: two child processes and this one agree" {
            let here = batchOrderDigest 9
            let first = runChild "batch-order" [ "9" ]
            let second = runChild "batch-order" [ "9" ]
            Expect.equal first second "two child processes"
            Expect.equal first here "child and this process"
            Expect.notEqual (batchOrderDigest 10) here "another seed, another order"
        }

        test "tensors are padded to the batch's longest source and target, with masks" {
            let batch = [| TokenizedPair([| 5; 6; 7 |], [| 9; 2 |]); TokenizedPair([| 5 |], [| 9; 9; 9; 2 |]) |]
            use t = NotebookSlm.Models.Seq2SeqBatch.From(batch, 0)
            Expect.sequenceEqual t.Source.shape [| 2L; 3L |] "source (B, max S)"
            Expect.sequenceEqual t.Target.shape [| 2L; 4L |] "target (B, max T)"
            Expect.sequenceEqual (t.SourceMask.``to``(TorchSharp.torch.ScalarType.Int32).data<int>().ToArray()) [| 1; 1; 1; 1; 0; 0 |] "source mask"
            Expect.sequenceEqual (t.Target.data<int64>().ToArray()) [| 9L; 2L; 0L; 0L; 9L; 9L; 9L; 2L |] "right padding with pad id"
        }

        test "a long QA source loses the end of its context, keeping the question first and the cue whole at the end" {
            let question = SquadQuestion("q", "When was the lighthouse built?", [| SquadAnswer("1874", 0) |], false)
            // No spaces in the context: a word-start piece inserted before the cue would decode
            // to a space that no prefix of the context has.
            let pair = Tasks.Qa(String.replicate 600 "lighthouse-", question)
            let start = "Answer the following question based only on the context.\n###Question\nWhen was the lighthouse built?\n###Context\n"
            for t in NotebookSlm.Tests.Tokenization.TokenizerTests.all () do
                let p = Batching.Tokenize(pair, t, maxSource = 200)
                Expect.equal p.Source.Length 200 $"{t.Name}: exactly maxSource"
                let text = t.Decode p.Source
                Expect.stringStarts text start $"{t.Name}: instruction and question first"
                Expect.stringEnds text "\n###Answer\n" $"{t.Name}: the cue whole at the end"
                let content = text[.. text.Length - pair.Cue.Length - 1]
                Expect.stringStarts pair.Source content $"{t.Name}: what precedes the cue is the start of the source"
        }

        test "a source that fits is encoded whole, as before" {
            let short = Tasks.Qa("Gull Point has a lighthouse built in 1874.", SquadQuestion("q", "When?", [||], true))
            for t in NotebookSlm.Tests.Tokenization.TokenizerTests.all () do
                Expect.sequenceEqual (Batching.Tokenize(short, t).Source) (t.Encode short.Source) t.Name
        }

        test "a cue that starts inside a token of the whole encoding is encoded on its own and still kept" {
            // Tokens of two ASCII characters each: after an odd-length content, the cue's first
            // character shares a token with the content's last one.
            let pairTokenizer =
                { new ITokenizer with
                    member _.Name = "char-pairs"
                    member _.VocabSize = 1000 + 128 * 256
                    member _.PadId = 0
                    member _.BosId = 1
                    member _.EosId = 2
                    member _.UnkId = 3
                    member _.SentinelCount = 0
                    member _.SentinelId _ = invalidArg "index" "no sentinels"
                    member _.Encode text =
                        [| for i in 0 .. 2 .. text.Length - 1 ->
                            1000 + int text[i] * 256 + (if i + 1 < text.Length then int text[i + 1] + 1 else 0) |]
                    member _.Decode ids =
                        String.Concat [ for id in ids do
                                            if id >= 1000 then
                                                let c1, c2 = (id - 1000) / 256, (id - 1000) % 256
                                                yield string (char c1)
                                                if c2 > 0 then yield string (char (c2 - 1)) ]
                    member _.TokenText id = string id }
            let pair = Tasks.Qa(String('x', 300), SquadQuestion("q", "Why?", [||], true))
            Expect.equal ((pair.Source.Length - pair.Cue.Length) % 2) 1 "the content ends inside a token"
            let p = Batching.Tokenize(pair, pairTokenizer, maxSource = 60)
            Expect.equal p.Source.Length 60 "exactly maxSource"
            Expect.sequenceEqual p.Source[54..] (pairTokenizer.Encode pair.Cue) "the cue as encoded on its own (11 characters, 6 tokens)"
            Expect.stringEnds (pairTokenizer.Decode p.Source) ("xx" + pair.Cue) "content, then the cue"
        }

        test "every task keeps its cue when its input is truncated" {
            let t = ByteTokenizer()
            let long = String('x', 3000)
            let pairs =
                [ Tasks.Summarisation(XsumExample("1", long, "s"))
                  Tasks.CodeTranslation(CodePair(long, "c"))
                  Tasks.EssayWriting(Essay(long, "e", 6.0))
                  Tasks.Qa(long, SquadQuestion("q", "Why?", [||], true)) ]
            for pair in pairs do
                let p = Batching.Tokenize(pair, t, maxSource = 512)
                Expect.equal p.Source.Length 512 pair.Cue
                Expect.stringEnds (t.Decode p.Source) ("xx" + pair.Cue) pair.Cue
        }

        test "a cue the source does not end with, or one longer than maxSource, is a clear error" {
            let t = ByteTokenizer()
            let wrong = TextPair(String('x', 100), "t", "p1", Cue = "\n###Answer\n")
            expectError<ArgumentException> (fun () -> Batching.Tokenize(wrong, t, maxSource = 50) |> ignore) [ "p1"; "does not end with its cue" ]
            let pair = Tasks.Qa(String('x', 100), SquadQuestion("q2", "Why?", [||], true))
            expectError<ArgumentException> (fun () -> Batching.Tokenize(pair, t, maxSource = 5) |> ignore) [ "q2"; "takes 11 tokens"; "5" ]
        }

        test "tokenizing appends EOS to the target and truncates to the default 1024 / 256" {
            let t = ByteTokenizer()
            let p = Batching.Tokenize(TextPair(String('a', 2000), String('b', 10)), t)
            Expect.equal p.Source.Length 1024 "source cut to 1024"
            Expect.equal (Array.last p.Target) t.EosId "EOS at the end"
            Expect.equal p.Target.Length 11 "target + EOS"
            let long = Batching.Tokenize(TextPair("x", String('b', 400)), t)
            Expect.equal long.Target.Length 256 "target cut to 256"
        }
    ]
