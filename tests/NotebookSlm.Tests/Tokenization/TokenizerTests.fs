module NotebookSlm.Tests.Tokenization.TokenizerTests

open System
open System.IO
open Expecto
open NotebookSlm.Tokenization
open NotebookSlm.Tests.Common

/// Real text with what breaks tokenizers: runs of spaces, tabs, newlines, accents, emoji, digits.
let samples =
    [ "Fellow-Citizens of the Senate and House of Representatives:"
      "  leading spaces, a tab\there and\nnew lines\n\n"
      "naïve café, Ünïcödé, 漢字 and an emoji 🙂"
      "x = 3.14159 * (r ** 2)  # 1234567890"
      "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\"."
      "" ]

let fixtureDir = Path.Combine(repoRoot, "tests", "NotebookSlm.Tests", "fixtures", "tokenization")

let spm = lazy (SentencePieceModelTokenizer(Path.Combine(fixtureDir, "sotu-512.model")))

let all () : ITokenizer list =
    [ ByteTokenizer(); Gpt2Tokenizer(); AutoTokenizer.Load AutoTokenizer.Phi35; spm.Value ]

[<Tests>]
let tests =
    testList "Tokenizers" [
        test "every tokenizer round-trips real text losslessly" {
            for t in all () do
                for s in samples do
                    Expect.equal (t.Decode(t.Encode s)) s $"{t.Name}: {s}"
        }

        test "special ids and sentinels are distinct and inside the vocabulary" {
            for t in all () do
                let sentinels = [ for i in 0 .. t.SentinelCount - 1 -> t.SentinelId i ]
                Expect.isGreaterThanOrEqual t.SentinelCount 100 $"{t.Name}: sentinels"
                Expect.equal (sentinels |> List.distinct |> List.length) t.SentinelCount "distinct sentinels"
                for id in [ t.PadId; t.BosId; t.EosId; t.UnkId ] @ sentinels do
                    Expect.isTrue (id >= 0 && id < t.VocabSize) $"{t.Name}: id {id} < {t.VocabSize}"
                Expect.notEqual t.PadId t.EosId $"{t.Name}: pad is not eos"
                Expect.isFalse (sentinels |> List.exists (fun s -> s = t.PadId || s = t.EosId)) "sentinels are not specials"
        }

        test "decoding skips special ids and sentinels" {
            for t in all () do
                let ids = Array.concat [ [| t.BosId |]; t.Encode "hello"; [| t.SentinelId 0; t.EosId; t.PadId |] ]
                Expect.equal (t.Decode ids) "hello" t.Name
        }

        test "the Phi-3.5 tokenizer uses the file's own ids and the released special tokens" {
            let t = AutoTokenizer.Load AutoTokenizer.Phi35
            Expect.sequenceEqual (t.Encode "Hello world") [| 15043; 3186 |] "BPE ids of tokenizer.json"
            Expect.equal (t.PadId, t.BosId, t.EosId, t.UnkId) (0, 1, 32000, 0) "pad = unk = 0, bos 1, eos <|endoftext|>"
            Expect.sequenceEqual (t.Encode "<|endoftext|>") [| 32000 |] "special tokens in text are respected"
            Expect.equal (t.TokenText 13) "<0x0A>" "byte fallback piece for a newline"
            Expect.isLessThanOrEqual t.VocabSize 32128 "fits the released model's padded vocabulary"
        }

        test "GPT-2 BPE gives the published ids" {
            let t = Gpt2Tokenizer()
            Expect.sequenceEqual (t.Encode "Hello world") [| 15496; 995 |] "gpt2 ids"
            Expect.equal t.EosId 50256 "<|endoftext|>"
        }

        test "a trained SentencePiece model keeps the released special ids and has sentinels" {
            let t = spm.Value
            Expect.equal (t.PadId, t.BosId, t.EosId, t.UnkId) (0, 1, 2, 3) "pad, bos, eos, unk"
            Expect.equal (t.TokenText(t.SentinelId 7)) "<extra_id_7>" "sentinel piece"
            Expect.equal t.VocabSize 512 "vocabulary size"
        }

        test "training a tokenizer with spm_train is reproducible (skipped where spm_train is missing)" {
            let onPath = (Environment.GetEnvironmentVariable "PATH").Split(':') |> Array.exists (fun d -> File.Exists(Path.Combine(d, "spm_train")))
            if not onPath then skiptest "spm_train is not installed (Debian package sentencepiece)"
            let dir = Path.Combine(Path.GetTempPath(), $"spm-{Guid.NewGuid():N}")
            let train prefix =
                TokenizerTraining.TrainSentencePiece([| Path.Combine(fixtureDir, "sotu-sample.txt") |], Path.Combine(dir, prefix),
                    SentencePieceTrainingOptions(VocabSize = 512, Seed = 3, Threads = 1))
            let a, b = train "a", train "b"
            Expect.sequenceEqual (File.ReadAllBytes a) (File.ReadAllBytes b) "same bytes from the same text and seed"
            let t = SentencePieceModelTokenizer a
            for s in samples do Expect.equal (t.Decode(t.Encode s)) s "round trip"
        }

        test "specs name every tokenizer kind, and a bad spec is a clear error" {
            Expect.equal (AutoTokenizer.Load "bytes").Name "bytes" "bytes"
            Expect.equal (AutoTokenizer.Load(Path.Combine(fixtureDir, "sotu-512.model"))).VocabSize 512 ".model path"
            expectError<ArgumentException> (fun () -> AutoTokenizer.Load "nonsense" |> ignore) [ "unknown tokenizer 'nonsense'"; "phi-3.5" ]
            expectError<FileNotFoundException> (fun () -> AutoTokenizer.Load "/nonexistent/x.model" |> ignore) [ "/nonexistent/x.model" ]
        }
    ]
