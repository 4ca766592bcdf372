/// `slm score squad|rouge` on small files: the keys and numbers the reference scripts print,
/// and one-line errors for bad input.
module NotebookSlm.Tests.Cli.ScoreCliTests

open System.Text.Json
open Expecto
open NotebookSlm.Tests.Common
open NotebookSlm.Tests.Evaluation.SquadTests

let private noTrace (err: string) = Expect.isFalse (err.Contains "   at ") "no stack trace"

let private expectFailure (args: string list) (fragments: string list) =
    let rc, _, err = slm args
    Expect.equal rc 1 (String.concat " " args)
    Expect.stringStarts err "error: " "one error line"
    for f in fragments do Expect.stringContains err f "the error names it"
    noTrace err

[<Tests>]
let tests =
    testList "slm score" [
        test "squad prints evaluate-v2.0.py's keys in its order, with its numbers" {
            let rc, out, err = slm [ "score"; "squad"; devFixture; writeTemp "predictions.json" fixturePredictions ]
            Expect.equal rc 0 err
            let doc = JsonDocument.Parse(out).RootElement
            Expect.equal [ for p in doc.EnumerateObject() -> p.Name ]
                [ "exact"; "f1"; "total"; "HasAns_exact"; "HasAns_f1"; "HasAns_total"; "NoAns_exact"; "NoAns_f1"; "NoAns_total" ] "keys"
            // the worked example of the SQuAD aggregate tests, as the official script printed it
            let number (k: string) = doc.GetProperty(k).GetDouble()
            Expect.equal [ number "exact"; number "f1"; number "HasAns_exact"; number "HasAns_f1"; number "NoAns_exact"; number "NoAns_f1" ]
                [ 57.142857142857146; 76.19047619047618; 60.0; 86.66666666666666; 50.0; 50.0 ] "percentages"
            Expect.equal [ for k in [ "total"; "HasAns_total"; "NoAns_total" ] -> doc.GetProperty(k).GetInt32() ] [ 7; 5; 2 ] "totals"
            Expect.equal err "" "nothing on stderr"
        }

        test "squad warns about each question without a prediction and scores it as no answer" {
            let rc, out, err = slm [ "score"; "squad"; devFixture; writeTemp "some.json" """{"5a1f0001": "1874", "5a1f0003": ""}""" ]
            Expect.equal rc 0 err
            for id in [ "5a1f0002"; "5a1f0004"; "5a1f0005"; "5a1f0006"; "5a1f0007" ] do
                Expect.stringContains err $"Missing prediction for {id}" id
            let doc = JsonDocument.Parse(out).RootElement
            Expect.equal (doc.GetProperty("total").GetInt32()) 7 "every question counted"
            // right: 0001 (answered) and 0003, 0005 (no answer, none given): 3 of 7
            Expect.floatClose Accuracy.veryHigh (doc.GetProperty("exact").GetDouble()) (300.0 / 7.0) "exact"
        }

        test "squad errors name the file, line and field" {
            let bad = writeTemp "bad.json" "{\"5a1f0001\": \"1874\",\n\"5a1f0002\": null}"
            expectFailure [ "score"; "squad"; devFixture; bad ] [ $"{bad}:2"; "'5a1f0002'"; "null" ]
            expectFailure [ "score"; "squad"; "/nonexistent/dev.json"; bad ] [ "/nonexistent/dev.json" ]
            let notSquad = writeTemp "data.json" "{\"version\": \"v2.0\"}"
            expectFailure [ "score"; "squad"; notSquad; bad ] [ notSquad; "data" ]
        }

        test "rouge prints the mean precision, recall and F-measure of the four types" {
            // line 1: the worked ROUGE-L example (5/6 everywhere but ROUGE-2, 3/5);
            // line 2: the same words reordered (ROUGE-1 1, ROUGE-2 2/3, ROUGE-L and Lsum 2/4 on one line).
            let t = writeTemp "targets.txt" "the cat sat on the mat\npolice arrested the suspect\n"
            let p = writeTemp "predictions.txt" "the cat was on the mat\r\nthe suspect police arrested\r\n"
            let rc, out, err = slm [ "score"; "rouge"; "--targets"; t; "--predictions"; p ]
            Expect.equal rc 0 err
            let doc = JsonDocument.Parse(out).RootElement
            Expect.equal (doc.GetProperty("examples").GetInt32()) 2 "two examples (CRLF read as LF)"
            Expect.isFalse (doc.GetProperty("stem").GetBoolean()) "no stemming"
            for name, expected in [ "rouge1", 11.0 / 12.0; "rouge2", (0.6 + 2.0 / 3.0) / 2.0; "rougeL", 2.0 / 3.0; "rougeLsum", 2.0 / 3.0 ] do
                let s = doc.GetProperty(name)
                for k in [ "precision"; "recall"; "fmeasure" ] do
                    Expect.floatClose Accuracy.veryHigh (s.GetProperty(k).GetDouble()) expected $"{name} {k}"
        }

        test "rouge --stem matches inflected forms" {
            let t = writeTemp "t.txt" "the cats are running\n"
            let p = writeTemp "p.txt" "a cat runs\n"
            let f1 (extra: string list) =
                let rc, out, err = slm ([ "score"; "rouge"; "--targets"; t; "--predictions"; p ] @ extra)
                Expect.equal rc 0 err
                JsonDocument.Parse(out).RootElement.GetProperty("rouge1").GetProperty("fmeasure").GetDouble()
            Expect.equal (f1 []) 0.0 "no shared token"
            Expect.floatClose Accuracy.veryHigh (f1 [ "--stem" ]) (4.0 / 7.0) "cat and run shared"
        }

        test "rouge refuses files of different line counts, naming both files and counts" {
            let t = writeTemp "t.txt" "one\ntwo\nthree\n"
            let p = writeTemp "p.txt" "one\ntwo\n"
            expectFailure [ "score"; "rouge"; "--targets"; t; "--predictions"; p ] [ t; "3 lines"; p; "has 2" ]
            let empty = writeTemp "empty.txt" ""
            expectFailure [ "score"; "rouge"; "--targets"; empty; "--predictions"; empty ] [ empty; "no lines" ]
            expectFailure [ "score"; "rouge"; "--targets"; "/nonexistent/t.txt"; "--predictions"; p ] [ "/nonexistent/t.txt" ]
        }
    ]
