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

let phiJson = Path.Combine(repoRoot, "src", "NotebookSlm", "Assets", "Tokenizers", "phi-3.5", "tokenizer.json")

/// Real text without special-token strings: the first 200 sentences of the State of the Union
/// sample and every text fixture (HTML, Java, man-page sources, JSON, CSV, WordNet).
let realTexts =
    lazy
        let sotu = File.ReadAllText(Path.Combine(fixtureDir, "sotu-sample.txt")).Split(". ") |> Array.truncate 200
        let files =
            Directory.GetFiles(Path.Combine(repoRoot, "tests", "NotebookSlm.Tests", "fixtures"), "*", SearchOption.AllDirectories)
            |> Array.filter (fun f -> not (f.EndsWith ".gz" || f.EndsWith ".model" || f.EndsWith ".parquet"))
            |> Array.sort
            |> Array.map File.ReadAllText
        Array.concat [ sotu; files; Array.ofList samples ]

/// Text holding every special string of the tokenizer and the usual control strings, alone,
/// glued to words, spaced and repeated.
let textWithSpecials (t: ITokenizer) (extra: string list) =
    let specials =
        [ for id in [ t.PadId; t.BosId; t.EosId; t.UnkId ] -> t.TokenText id ]
        @ [ for i in 0 .. t.SentinelCount - 1 -> t.TokenText(t.SentinelId i) ]
        @ [ "<s>"; "</s>"; "<pad>"; "<unk>"; "<mask>"; "<|endoftext|>"; "<extra_id_0>"; "<extra_id_99>" ] @ extra
        |> List.distinct
    String.Join(" ", [ for s in specials -> $"{s} word{s}word  {s}{s}\n{s}" ])

/// Encodes the text, expects none of the forbidden ids and a lossless round trip.
let expectTextOnly (t: ITokenizer) (text: string) (forbidden: int list) =
    let ids = t.Encode text
    let hits = ids |> Array.filter (fun id -> List.contains id forbidden) |> Array.distinct
    Expect.isEmpty hits $"{t.Name}: special ids out of Encode: {hits}"
    Expect.equal (t.Decode ids) text $"{t.Name}: round trip"

let standardSpecials (t: ITokenizer) =
    [ t.PadId; t.BosId; t.EosId; t.UnkId ] @ [ for i in 0 .. t.SentinelCount - 1 -> t.SentinelId i ]

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
            Expect.sequenceEqual (t.Encode "<|endoftext|>") [| 529; 29989; 355; 974; 726; 29989; 29958 |] "a special token's string in text is text: < | end of text | >"
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

        test "bytes: special strings in text never encode to special ids" {
            let t = ByteTokenizer()
            expectTextOnly t (textWithSpecials t []) (standardSpecials t)
        }

        test "gpt2: <|endoftext|> in text is text, never 50256, and no special id comes out" {
            let t = Gpt2Tokenizer()
            Expect.sequenceEqual (t.Encode "a<|endoftext|>b") [| 64; 27; 91; 437; 1659; 5239; 91; 29; 65 |] "a, <|, endoftext, |>, b"
            expectTextOnly t (textWithSpecials t []) (standardSpecials t)
        }

        test "gpt2: ordinary text gets the ids of Microsoft.ML's own GPT-2 tokenizer" {
            let t = Gpt2Tokenizer()
            let reference = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel "gpt2"
            for text in realTexts.Value do
                Expect.sequenceEqual (t.Encode text) (reference.EncodeToIds text |> Seq.toArray) (text.Substring(0, min 60 text.Length))
        }

        test "phi-3.5: no added token's id (special or not) or sentinel comes out for text holding their strings" {
            let t = AutoTokenizer.Load AutoTokenizer.Phi35
            // 0 <unk>, 1 <s>, 2 </s> and 32000-32010 (<|endoftext|>, <|user|>, <|end|>, ...) are the file's added tokens.
            let added = [ 0; 1; 2 ] @ [ 32000 .. 32010 ]
            expectTextOnly t (textWithSpecials t [ for id in added -> t.TokenText id ]) (added @ standardSpecials t)
            Expect.equal (t.Decode(t.Encode "</s>  x")) "</s>  x" "the spaces after </s> survive (its added entry stripped them)"
        }

        test "phi-3.5: ordinary text encodes exactly as through the original tokenizer.json" {
            use t = new HfTokenizer(phiJson, name = "phi-3.5")
            Expect.notEqual t.TextOnlyPath phiJson "runs a text-only copy"
            use original = new Tokenizers.DotNet.Tokenizer(phiJson)
            let texts = realTexts.Value
            let same = texts |> Array.filter (fun s -> Array.ConvertAll(original.Encode s, fun i -> int i) = t.Encode s) |> Array.length
            Expect.equal same texts.Length $"identical encodings of {texts.Length} texts"
        }

        test "sentencepiece: control and sentinel strings in text never encode to their ids" {
            let t = spm.Value
            expectTextOnly t (textWithSpecials t []) (standardSpecials t)
        }

        test "a unigram model, which Microsoft.ML.Tokenizers encodes wrongly, is refused (skipped where spm_train is missing)" {
            let onPath = (Environment.GetEnvironmentVariable "PATH").Split(':') |> Array.exists (fun d -> File.Exists(Path.Combine(d, "spm_train")))
            if not onPath then skiptest "spm_train is not installed (Debian package sentencepiece)"
            let dir = Path.Combine(Path.GetTempPath(), $"spm-{Guid.NewGuid():N}")
            try
                let model =
                    TokenizerTraining.TrainSentencePiece([| Path.Combine(fixtureDir, "sotu-sample.txt") |], Path.Combine(dir, "uni"),
                        SentencePieceTrainingOptions(VocabSize = 600, ModelType = "unigram", Seed = 3, Threads = 1))
                expectError<InvalidDataException> (fun () -> SentencePieceModelTokenizer model |> ignore) [ model; "wrong ids"; "BPE" ]
            finally
                if Directory.Exists dir then Directory.Delete(dir, true)
        }

        test "specs name every tokenizer kind, and a bad spec is a clear error" {
            Expect.equal (AutoTokenizer.Load "bytes").Name "bytes" "bytes"
            Expect.equal (AutoTokenizer.Load(Path.Combine(fixtureDir, "sotu-512.model"))).VocabSize 512 ".model path"
            expectError<ArgumentException> (fun () -> AutoTokenizer.Load "nonsense" |> ignore) [ "unknown tokenizer 'nonsense'"; "phi-3.5" ]
            expectError<FileNotFoundException> (fun () -> AutoTokenizer.Load "/nonexistent/x.model" |> ignore) [ "/nonexistent/x.model" ]
        }
    ]
