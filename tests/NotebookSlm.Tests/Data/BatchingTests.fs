module NotebookSlm.Tests.Data.BatchingTests

open System
open Expecto
open NotebookSlm.Data
open NotebookSlm.Tokenization

let pairs (seed: int) (n: int) =
    let rng = Random seed
    [| for _ in 1 .. n -> TokenizedPair(Array.init (rng.Next(5, 300)) (fun _ -> 7), Array.init (rng.Next(2, 60)) (fun _ -> 8)) |]

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

        test "tensors are padded to the batch's longest source and target, with masks" {
            let batch = [| TokenizedPair([| 5; 6; 7 |], [| 9; 2 |]); TokenizedPair([| 5 |], [| 9; 9; 9; 2 |]) |]
            use t = NotebookSlm.Models.Seq2SeqBatch.From(batch, 0)
            Expect.sequenceEqual t.Source.shape [| 2L; 3L |] "source (B, max S)"
            Expect.sequenceEqual t.Target.shape [| 2L; 4L |] "target (B, max T)"
            Expect.sequenceEqual (t.SourceMask.``to``(TorchSharp.torch.ScalarType.Int32).data<int>().ToArray()) [| 1; 1; 1; 1; 0; 0 |] "source mask"
            Expect.sequenceEqual (t.Target.data<int64>().ToArray()) [| 9L; 2L; 0L; 0L; 9L; 9L; 9L; 2L |] "right padding with pad id"
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
