module NotebookSlm.Tests.Data.SpanCorruptionTests

open System
open Expecto
open NotebookSlm.Data
open NotebookSlm.Tokenization

let sentinel i = 1000 + i
let isSentinel t = t >= 1000
let eos = 2
let corruption = SpanCorruption()

[<Tests>]
let tests =
    testList "Span corruption" [
        test "over many samples the noise is 15% within a point and spans average close to 3" {
            let rng = Random 7
            let mutable noise, total, spans = 0L, 0L, 0L
            for _ in 1 .. 2000 do
                let length = rng.Next(50, 600)
                let ex = corruption.Corrupt(Array.init length (fun i -> 10 + i % 900), sentinel, eos, rng)
                noise <- noise + int64 ex.NoiseTokens
                spans <- spans + int64 ex.Spans
                total <- total + int64 length
            let density = float noise / float total
            let meanSpan = float noise / float spans
            Expect.isLessThan (abs (density - 0.15)) 0.01 $"noise fraction {density:P2}"
            Expect.isLessThan (abs (meanSpan - 3.0)) 0.15 $"mean span length {meanSpan:F3}"
        }

        testProperty "merging input and target gives back the original tokens" <| fun (seed: int) (len: int) ->
            let length = 2 + abs len % 700
            let tokens = Array.init length (fun i -> 10 + abs ((i * 7919 + seed) % 900))
            let ex = corruption.Corrupt(tokens, sentinel, eos, Random seed)
            SpanCorruption.Merge(ex.Input, ex.Target, isSentinel, eos) = tokens

        test "inputs and targets have T5's shape: kept tokens and one sentinel per span, then EOS" {
            let ex = corruption.Corrupt(Array.init 100 (fun i -> 10 + i), sentinel, eos, Random 1)
            Expect.equal ex.Input.Length (100 - ex.NoiseTokens + ex.Spans + 1) "input length"
            Expect.equal ex.Target.Length (ex.NoiseTokens + ex.Spans + 1) "target length"
            Expect.equal ex.Target[0] (sentinel 0) "target starts with the first sentinel"
            Expect.equal (Array.last ex.Input) eos "input ends in EOS"
            Expect.equal (Array.last ex.Target) eos "target ends in EOS"
            Expect.isFalse (isSentinel ex.Input[0]) "the first span is always kept, as in T5"
            let inputSentinels = ex.Input |> Array.filter isSentinel
            Expect.sequenceEqual inputSentinels [| for i in 0 .. ex.Spans - 1 -> sentinel i |] "sentinels in order"
        }

        test "T5's length arithmetic: a chunk of the raw length corrupts to exactly the input length" {
            for inputLength in [ 64; 128; 512; 1024 ] do
                let l = corruption.LengthsFor inputLength
                let raw, targetLength = l.Raw, l.Target
                for seed in 1 .. 20 do
                    let ex = corruption.Corrupt(Array.init raw (fun i -> 10 + i % 900), sentinel, eos, Random seed)
                    Expect.equal ex.Input.Length inputLength $"input for {inputLength}"
                    Expect.equal ex.Target.Length targetLength $"target for {inputLength}"
            // T5's published pair for inputs of 512 at 0.15 / 3: 568 raw tokens, 114 target tokens
            Expect.equal (corruption.LengthsFor 512) (SpanLengths(568, 114)) "T5 reference lengths"
        }

        test "the same seed gives the same corruption" {
            let tokens = Array.init 300 (fun i -> 10 + i)
            let a = corruption.Corrupt(tokens, sentinel, eos, Random 5)
            let b = corruption.Corrupt(tokens, sentinel, eos, Random 5)
            Expect.sequenceEqual a.Input b.Input "input"
            Expect.sequenceEqual a.Target b.Target "target"
        }

        test "pretraining examples from documents all have the fixed input length" {
            let t = ByteTokenizer()
            let docs = [ for i in 1 .. 40 -> String.replicate 30 $"Document {i} says something. " ]
            let examples = PretrainingExamples.SpanCorrupted(docs, t, 128, 3) |> Seq.toList
            Expect.isGreaterThan examples.Length 20 "examples made"
            let targetLength = (corruption.LengthsFor 128).Target
            for e in examples do
                Expect.equal e.Source.Length 128 "input length"
                Expect.equal e.Target.Length targetLength "target length"
            let again = PretrainingExamples.SpanCorrupted(docs, t, 128, 3) |> Seq.toList
            Expect.equal (again |> List.map (fun e -> e.Source, e.Target)) (examples |> List.map (fun e -> e.Source, e.Target)) "seeded"
        }

        test "invalid densities are rejected" {
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> SpanCorruption(1.5, 3.0) |> ignore) "density"
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> SpanCorruption(0.15, 0.5) |> ignore) "span length"
        }
    ]
