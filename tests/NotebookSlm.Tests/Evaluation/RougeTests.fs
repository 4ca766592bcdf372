/// ROUGE as rouge-score computes it. The expected numbers are worked by hand in the comments;
/// each was also checked against rouge-score's own functions.
module NotebookSlm.Tests.Evaluation.RougeTests

open System
open System.IO
open Expecto
open NotebookSlm.Evaluation
open NotebookSlm.Tests.Common

let private close (actual: float) (expected: float) (what: string) = Expect.floatClose Accuracy.veryHigh actual expected what

let private expectScore (s: RougeScore) (p: float) (r: float) (f: float) (what: string) =
    close s.Precision p $"{what} precision"
    close s.Recall r $"{what} recall"
    close s.FMeasure f $"{what} F"

/// Small texts for the properties: words from a fixed list, separated by spaces, punctuation
/// or (when allowed) newlines, with some capitalised.
let private vocabulary = [| "the"; "cat"; "sat"; "on"; "mat"; "dogs"; "running"; "ran"; "police"; "arrested"; "İstanbul"; "naïve"; "2024" |]
let private text (newlines: bool) (picks: int list) =
    picks
    |> List.mapi (fun i k ->
        let w = vocabulary[abs (k % vocabulary.Length)]
        let w = if k % 3 = 0 then w.ToUpperInvariant() else w
        let sep = match abs (k / 7) % 4 with 0 when newlines -> "\n" | 1 -> ", " | 2 -> "! " | _ -> " "
        if i = 0 then w else sep + w)
    |> String.concat ""

[<Tests>]
let tokenizer =
    testList "ROUGE tokenizer" [
        test "lower-cases, splits on everything outside [a-z0-9] and drops non-ASCII letters" {
            // "café" -> "caf", "s'il" -> "s" "il", "plaît" -> "pla" "t"; 日本語 vanishes whole.
            Expect.sequenceEqual (Rouge.Tokenize "Café au lait, s'il vous plaît! 日本語") [ "caf"; "au"; "lait"; "s"; "il"; "vous"; "pla"; "t" ] "tokens"
            Expect.sequenceEqual (Rouge.Tokenize "U.S.-based 2,000") [ "u"; "s"; "based"; "2"; "000" ] "punctuation splits words and numbers"
            Expect.isEmpty (Rouge.Tokenize "!!! — …") "nothing but punctuation"
        }

        test "follows Python's lower(): the Kelvin sign is k, and İ is i followed by a break" {
            // Python lower-cases U+0130 to "i" + U+0307; the combining dot is not [a-z0-9].
            Expect.sequenceEqual (Rouge.Tokenize "İstanbul \u212Aelvin") [ "i"; "stanbul"; "kelvin" ] "tokens"
        }

        test "stems only tokens longer than 3 characters" {
            // NLTK would stem "was" to "wa"; rouge-score leaves 3-letter tokens alone.
            Expect.sequenceEqual (Rouge.Tokenize("Was it dying? Dies, flies", stem = true)) [ "was"; "it"; "die"; "die"; "fli" ] "stemmed"
            Expect.sequenceEqual (Rouge.Tokenize "Was it dying? Dies, flies") [ "was"; "it"; "dying"; "dies"; "flies" ] "unstemmed"
        }
    ]

[<Tests>]
let stemmer =
    testList "ROUGE Porter stemmer" [
        test "gives NLTK's stem for every word of the reference fixture" {
            let lines = File.ReadAllLines(Path.Combine(repoRoot, "tests/NotebookSlm.Tests/fixtures/evaluation/porter-nltk.tsv"))
            Expect.isGreaterThan lines.Length 4000 "fixture read"
            let wrong = [ for l in lines do
                            let p = l.Split '\t'
                            let s = PorterStemmer.Stem p[0]
                            if s <> p[1] then $"{p[0]}: NLTK {p[1]}, ours {s}" ]
            Expect.isEmpty wrong $"{wrong.Length} of {lines.Length} differ"
        }

        test "has NLTK's extensions, which Porter's own release lacks" {
            // irregular forms, four-letter -ies/-ied, y -> i only after a consonant, -logi
            for word, stem in [ "dying", "die"; "skies", "sky"; "dies", "die"; "died", "die"; "spied", "spi"
                                "enjoy", "enjoy"; "happy", "happi"; "geology", "geolog"; "generously", "gener"; "1990s", "1990" ] do
                Expect.equal (PorterStemmer.Stem word) stem word
        }
    ]

[<Tests>]
let scores =
    testList "ROUGE scores" [
        test "ROUGE-L counts the longest common subsequence" {
            // target     the cat sat on the mat   (6 tokens)
            // prediction the cat was on the mat   (6 tokens)
            // LCS        the cat  .  on the mat   = 5, so P = R = F = 5/6
            let s = Rouge.Score("the cat sat on the mat", "the cat was on the mat")
            expectScore s.RougeL (5.0 / 6.0) (5.0 / 6.0) (5.0 / 6.0) "rougeL"
            expectScore s.Rouge1 (5.0 / 6.0) (5.0 / 6.0) (5.0 / 6.0) "rouge1: the x2, cat, on, mat shared"
        }

        test "ROUGE-2 counts shared bigrams, clipped to the smaller count" {
            // target bigrams: the cat, cat sat, sat on, on the, the mat; prediction: the cat, cat was,
            // was on, on the, the mat. Shared: the cat, on the, the mat = 3 of 5 each side.
            expectScore (Rouge.Score("the cat sat on the mat", "the cat was on the mat").Rouge2) 0.6 0.6 0.6 "rouge2"
            // target "the the the cat": bigrams the-the x2, the-cat; prediction "the the cat": the-the, the-cat.
            // Overlap min(2,1) + min(1,1) = 2: P = 2/2, R = 2/3, F = 0.8. Unigrams: min(3,2) + 1 = 3: P = 1, R = 3/4.
            let s = Rouge.Score("the the the cat", "the the cat")
            expectScore s.Rouge2 1.0 (2.0 / 3.0) 0.8 "clipped bigrams"
            expectScore s.Rouge1 1.0 0.75 (6.0 / 7.0) "clipped unigrams"
        }

        test "ROUGE-Lsum takes the union LCS per target line, which can beat the LCS of the whole text" {
            // target     police arrested the suspect            (one line, 4 tokens)
            // prediction the suspect \n police arrested         (two lines, 4 tokens)
            // Lsum: LCS(target, line 1) = "the suspect" (positions 2, 3), LCS(target, line 2) =
            // "police arrested" (0, 1); union = all 4 positions: P = R = 4/4.
            // ROUGE-L over the whole text: LCS of "police arrested the suspect" and
            // "the suspect police arrested" is 2 tokens: P = R = 2/4.
            let s = Rouge.Score("police arrested the suspect", "the suspect\npolice arrested")
            expectScore s.RougeLsum 1.0 1.0 1.0 "rougeLsum"
            expectScore s.RougeL 0.5 0.5 0.5 "rougeL"
            // On one line the same words give the plain LCS again.
            expectScore (Rouge.Score("police arrested the suspect", "the suspect police arrested").RougeLsum) 0.5 0.5 0.5 "one line"
        }

        test "ROUGE-Lsum counts a token at most as often as both texts hold it" {
            // target lines "cat sat" and "cat ran", prediction "cat". Line 1's union LCS is "cat": a hit,
            // and the prediction's only "cat" is used up. Line 2's union LCS is "cat" again, but no
            // unused "cat" is left in the prediction: no hit. hits = 1: P = 1/1, R = 1/4, F = 0.4
            // (without the cap P would be 2/1).
            expectScore (Rouge.Score("cat sat\ncat ran", "cat").RougeLsum) 1.0 0.25 0.4 "capped"
        }

        test "ROUGE-Lsum picks among equally long LCSs as rouge-score's backtrack does" {
            // target "storm damage"; prediction lines "damage storm" and "storm".
            // LCS(target, "damage storm") is 1 token, "storm" or "damage": reading back from the end,
            // rouge-score drops a target token on a tie, so it keeps "storm" (position 0).
            // LCS(target, "storm") = "storm" (position 0). Union {0}: 1 hit, P = 1/3, R = 1/2, F = 0.4.
            // (Keeping "damage" instead would give the union {0, 1}: P = 2/3, R = 1.)
            expectScore (Rouge.Score("storm damage", "damage storm\nstorm").RougeLsum) (1.0 / 3.0) 0.5 0.4 "tie broken like rouge-score"
        }

        test "ROUGE-Lsum splits on newlines and drops empty lines" {
            let a = Rouge.Score("the storm\n\nclosed the port\n", "the port closed\n\n\nthe storm").RougeLsum
            let b = Rouge.Score("the storm\nclosed the port", "the port closed\nthe storm").RougeLsum
            Expect.equal a b "blank lines change nothing"
            Expect.equal (Rouge.Sentences "a\n\n b\n").Count 2 "a line of spaces stays, empty lines go"
        }

        test "stemming matches inflected forms" {
            // without: the cats are running / a cat runs share no token.
            // with: [the cat are run] / [a cat run]: cat and run shared; P = 2/3, R = 2/4, F = 4/7.
            let off = Rouge.Score("the cats are running", "a cat runs")
            let on = Rouge.Score("the cats are running", "a cat runs", stem = true)
            expectScore off.Rouge1 0.0 0.0 0.0 "unstemmed"
            expectScore on.Rouge1 (2.0 / 3.0) 0.5 (4.0 / 7.0) "stemmed"
        }

        test "an empty side scores 0 for every type" {
            for t, p in [ "", "the cat"; "the cat", ""; "¡¿!", "the cat"; "", "" ] do
                for name, s in (Rouge.Score(t, p)).Named() do
                    Expect.equal s RougeScore.Zero $"{name} of '{t}' vs '{p}'"
        }

        test "the corpus mean averages each precision, recall and F over the pairs" {
            // rougeL F: 5/6 (the worked example) and 2/4 (the reordered arrest): mean 2/3.
            let m = Rouge.Mean [ "the cat sat on the mat", "the cat was on the mat"; "police arrested the suspect", "the suspect police arrested" ]
            expectScore m.RougeL (2.0 / 3.0) (2.0 / 3.0) (2.0 / 3.0) "rougeL"
            expectScore m.Rouge1 (11.0 / 12.0) (11.0 / 12.0) (11.0 / 12.0) "rouge1: 5/6 and 1"
            expectError<ArgumentException> (fun () -> Rouge.Mean [] |> ignore) [ "at least one" ]
        }

        testProperty "a prediction equal to its target (two tokens or more) scores F = 1 for every type" <| fun (picks: int list) (newlines: bool) ->
            let t = text newlines picks
            if (Rouge.Tokenize t).Count >= 2 then
                for name, s in (Rouge.Score(t, t)).Named() do Expect.equal s.FMeasure 1.0 $"{name} of {t}"

        testProperty "every precision, recall and F lies in [0, 1]" <| fun (a: int list) (b: int list) (stem: bool) ->
            for name, s in (Rouge.Score(text true a, text true b, stem)).Named() do
                for v in [ s.Precision; s.Recall; s.FMeasure ] do
                    Expect.isTrue (v >= 0.0 && v <= 1.0) $"{name} = {v}"

        testProperty "swapping target and prediction swaps precision and recall (single-line texts)" <| fun (a: int list) (b: int list) ->
            let x, y = text false a, text false b
            let forward, backward = Rouge.Score(x, y), Rouge.Score(y, x)
            for (name, s), (_, r) in Seq.zip (forward.Named()) (backward.Named()) do
                Expect.equal (s.Precision, s.Recall, s.FMeasure) (r.Recall, r.Precision, r.FMeasure) name
    ]
