/// SQuAD 2.0 exact match and F1 as the official evaluate-v2.0.py computes them. Expected
/// numbers are worked by hand in the comments; the aggregate's were also printed by the
/// official script on the same files.
module NotebookSlm.Tests.Evaluation.SquadTests

open System
open System.IO
open System.Text
open Expecto
open NotebookSlm.Data
open NotebookSlm.Evaluation
open NotebookSlm.Tests.Common

let devFixture = Path.Combine(repoRoot, "tests/NotebookSlm.Tests/fixtures/readers/dev-v2.0.json")

/// Predictions for the 7 questions of the fixture, worked in the aggregate test.
let fixturePredictions =
    """{"5a1f0001": "in 1874", "5a1f0002": "granite", "5a1f0003": "", "5a1f0004": "112 steps", "5a1f0005": "five dollars", "5a1f0006": "1902", "5a1f0007": "the étang"}"""

let writeTemp (name: string) (text: string) =
    let dir = Path.Combine(Path.GetTempPath(), $"notebookslm-eval-{Guid.NewGuid():N}")
    Directory.CreateDirectory dir |> ignore
    let path = Path.Combine(dir, name)
    File.WriteAllBytes(path, UTF8Encoding(false).GetBytes text)
    path

let private dict (pairs: (string * string) list) = readOnlyDict pairs

[<Tests>]
let normalisation =
    testList "SQuAD normalisation" [
        test "lower-cases, drops ASCII punctuation and the articles a, an, the, and collapses spaces" {
            Expect.equal (Squad.Normalize "The Eiffel  Tower!") "eiffel tower" "article, case, punctuation"
            Expect.equal (Squad.Normalize "a, an; THE.") "" "nothing but articles"
            Expect.equal (Squad.Normalize "  New\tYork \n") "new york" "white space"
        }

        test "removes articles only as whole words, after punctuation is gone" {
            Expect.equal (Squad.Normalize "Theatre and anthem") "theatre and anthem" "inside words"
            // remove_punc runs first: "the-end" becomes "theend", one word, which stays.
            Expect.equal (Squad.Normalize "the-end") "theend" "hyphen joins"
            // \b is Unicode-aware: é is a word character, so "théa" and "aé" are not articles.
            Expect.equal (Squad.Normalize "théa aé a_b") "théa aé ab" "Unicode word characters"
        }

        test "keeps non-ASCII punctuation, as string.punctuation is ASCII" {
            Expect.equal (Squad.Normalize "“Quoted” – yes") "“quoted” – yes" "curly quotes and en dash stay"
        }

        test "lower-cases as Python does: İ to i with a combining dot, a word-final Σ to ς" {
            Expect.equal (Squad.Normalize "İ") "i\u0307" "dotted capital I"
            Expect.equal (Squad.Normalize "ΟΔΟΣ ΣΟΦΙΑ") "οδο\u03C2 σοφια" "final and non-final sigma"
            // Python splits on U+001C..U+001F, which .NET does not call white space.
            Expect.equal (Squad.Normalize "a\u001Cb") "b" "file separator splits"
        }
    ]

[<Tests>]
let questions =
    testList "SQuAD question scores" [
        test "exact match compares normalised text; F1 compares token bags" {
            Expect.equal (Squad.Exact("Denver Broncos", "the Denver Broncos!")) 1 "normalised equal"
            Expect.equal (Squad.F1("Denver Broncos", "the Denver Broncos!")) 1.0 "F1 1"
            // gold [denver broncos], prediction [broncos]: 1 shared, P = 1/1, R = 1/2, F1 = 2/3
            Expect.equal (Squad.Exact("Denver Broncos", "Broncos")) 0 "partial"
            Expect.floatClose Accuracy.veryHigh (Squad.F1("Denver Broncos", "Broncos")) (2.0 / 3.0) "F1 2/3"
            // gold [in 1874], prediction [1874 in north]: 2 shared, P = 2/3, R = 1, F1 = 0.8 (order is ignored)
            Expect.floatClose Accuracy.veryHigh (Squad.F1("in 1874", "1874 in the north")) 0.8 "bag of tokens"
        }

        test "an unanswerable question scores 1 only for an empty prediction" {
            Expect.equal (Squad.Score([||], "")) (struct (1, 1.0)) "no answer, none given"
            Expect.equal (Squad.Score([||], "1989")) (struct (0, 0.0)) "no answer, one given"
            // a prediction that normalises to nothing is no answer too
            Expect.equal (Squad.Score([||], "The.")) (struct (1, 1.0)) "normalises to empty"
        }

        test "an answerable question scores 0 for an empty prediction" {
            Expect.equal (Squad.Score([| "1874" |], "")) (struct (0, 0.0)) "abstained"
        }

        test "takes the best exact match and the best F1 over the gold answers" {
            // vs "1874": P = 1/3, R = 1, F1 = 0.5; vs "in 1874": P = 2/3, R = 1, F1 = 0.8. EM 0 for both.
            let struct (em, f1) = Squad.Score([| "1874"; "in 1874" |], "built in 1874")
            Expect.equal em 0 "no exact match"
            Expect.floatClose Accuracy.veryHigh f1 0.8 "best F1"
            Expect.equal (Squad.Score([| "in 1874"; "1874" |], "1874")) (struct (1, 1.0)) "the second gold matches exactly"
        }

        test "drops gold answers that normalise to nothing" {
            // "The" normalises to "" and is dropped, so "" no longer matches; with no usable gold left
            // the gold is "" and only an empty prediction scores.
            Expect.equal (Squad.Score([| "The"; "1874" |], "")) (struct (0, 0.0)) "the empty gold is gone"
            Expect.equal (Squad.Score([| "The" |], "")) (struct (1, 1.0)) "none left: the gold is the empty answer"
            Expect.equal (Squad.Score([| "The" |], "1874")) (struct (0, 0.0)) "and an answer is wrong"
        }
    ]

[<Tests>]
let aggregate =
    testList "SQuAD aggregate" [
        test "scores the fixture file as percentages with HasAns and NoAns splits" {
            //  id  gold                  prediction      EM  F1
            //  1   1874 | in 1874        in 1874         1   1
            //  2   local granite         granite         0   2/3   (P 1, R 1/2)
            //  3   (none)                ""              1   1
            //  4   112                   112 steps       0   2/3   (P 1/2, R 1)
            //  5   (none)                five dollars    0   0
            //  6   1902                  1902            1   1
            //  7   Étang                 the étang       1   1
            // all: EM 4/7, F1 (16/3)/7; HasAns (1,2,4,6,7): EM 3/5, F1 (13/3)/5; NoAns (3,5): 1/2, 1/2.
            // The literals are what evaluate-v2.0.py printed for these two files.
            let e = Squad.Evaluate(devFixture, writeTemp "predictions.json" fixturePredictions)
            Expect.equal e.All (SquadTotals(57.142857142857146, 76.19047619047618, 7)) "all"
            Expect.equal e.HasAns (SquadTotals(60.0, 86.66666666666666, 5)) "HasAns"
            Expect.equal e.NoAns (SquadTotals(50.0, 50.0, 2)) "NoAns"
            Expect.isEmpty e.Missing "every question predicted"
            Expect.equal [ for q in e.Questions -> q.Exact ] [ 1; 0; 1; 0; 0; 1; 1 ] "per question, file order"
        }

        test "leaves out a split that has no question" {
            let q id answers = SquadQuestion(id, "?", answers, Array.isEmpty answers)
            let only answers = [ SquadArticle("t", [| SquadParagraph("ctx 1874", [| q "a" answers |]) |]) ]
            let answerable = Squad.Evaluate(only [| SquadAnswer("1874", 4) |], dict [ "a", "1874" ])
            Expect.isSome (Option.ofObj answerable.HasAns) "HasAns present"
            Expect.isNone (Option.ofObj answerable.NoAns) "no NoAns"
            let unanswerable = Squad.Evaluate(only [||], dict [ "a", "" ])
            Expect.isNone (Option.ofObj unanswerable.HasAns) "no HasAns"
            Expect.equal unanswerable.NoAns (SquadTotals(100.0, 100.0, 1)) "NoAns"
        }

        test "scores a question without a prediction as the empty answer and lists it" {
            // 5a1f0003 and 5a1f0005 are unanswerable: missing counts as right there, wrong elsewhere.
            let refs = Tasks.QaReferences(NotebookSlm.Data.Readers.SquadJson.Read devFixture)
            let e = Squad.Evaluate(refs, dict [ "5a1f0001", "1874"; "5a1f0002", "local granite"; "5a1f0004", "112"; "5a1f0006", "1902"; "5a1f0007", "Étang" ])
            Expect.equal (List.ofSeq e.Missing) [ "5a1f0003"; "5a1f0005" ] "missing ids in file order"
            Expect.equal e.All (SquadTotals(100.0, 100.0, 7)) "all right"
            let e = Squad.Evaluate(refs, dict [ "5a1f0003", ""; "5a1f0005", ""; "extra", "ignored" ])
            Expect.equal e.All.Total 7 "every question counts"
            Expect.equal e.HasAns (SquadTotals(0.0, 0.0, 5)) "the five answerable ones missed"
        }

        test "refuses data without questions" {
            expectError<ArgumentException> (fun () -> Squad.Evaluate(([]: QaReference list), dict []) |> ignore) [ "no questions" ]
        }

        test "reads predictions, and names file, line and id when they are malformed" {
            let p = Squad.ReadPredictions(writeTemp "p.json" "{\"q1\": \"x\",\n \"q2\": \"\", \"q1\": \"last\"}")
            Expect.equal (p["q1"], p["q2"], p.Count) ("last", "", 2) "a repeated id keeps its last value, as json.load"
            let bad = writeTemp "bad.json" "{\"q1\": \"x\",\n \"q2\": 3}"
            expectError<DataFormatException> (fun () -> Squad.ReadPredictions bad |> ignore) [ $"{bad}:2"; "'q2'"; "a number" ]
            let list = writeTemp "list.json" "[\"x\"]"
            expectError<DataFormatException> (fun () -> Squad.ReadPredictions list |> ignore) [ $"{list}:1"; "(root)"; "an array" ]
            let broken = writeTemp "broken.json" "{\"q1\": \"x\"\n\"q2\": \"y\"}"
            expectError<DataFormatException> (fun () -> Squad.ReadPredictions broken |> ignore) [ $"{broken}:2"; "(json)" ]
        }
    ]
