module NotebookSlm.Tests.Data.TaskTests

open System
open System.IO
open Expecto
open NotebookSlm.Data
open NotebookSlm.Data.Readers
open NotebookSlm.Tests.Common

let fixture (name: string) = Path.Combine(repoRoot, "tests/NotebookSlm.Tests/fixtures/readers", name)

let context = "Gull Point has a lighthouse built in 1874."
let answerable = SquadQuestion("q1", "When was it built?", [| SquadAnswer("1874", 37) |], false)
let impossible = SquadQuestion("q2", "Who painted it?", [||], true)
let article = SquadArticle("Gull_Point", [| SquadParagraph(context, [| answerable; impossible |]) |])

[<Tests>]
let tests =
    testList "Tasks" [
        test "the template constants are the published strings" {
            Expect.equal Tasks.QaTemplate "Answer the following question based only on the context.\n###Question\n{question}\n###Context\n{context}\n###Answer\n" "QA"
            Expect.equal Tasks.SummaryTemplate "Summarize the following document in one sentence.\n###Document\n{document}\n###Summary\n" "summary"
            Expect.equal Tasks.CodeTemplate "Translate the following Java code to C#.\n###Java\n{java}\n###C#\n" "code"
            Expect.equal Tasks.EssayTemplate "Write an essay for the following prompt.\n###Prompt\n{prompt}\n###Essay\n" "essay"
            Expect.equal Tasks.Unanswerable "unanswerable" "unanswerable target"
        }

        test "QA pairs use the authors' template, the first answer as target and the question id" {
            let pairs = Tasks.Qa [ article ] |> Seq.toList
            Expect.equal pairs.Length 2 "one pair per question"
            Expect.equal pairs[0].Source
                "Answer the following question based only on the context.\n###Question\nWhen was it built?\n###Context\nGull Point has a lighthouse built in 1874.\n###Answer\n" "source"
            Expect.equal (pairs[0].Target, pairs[0].Id) ("1874", "q1") "target and id"
            Expect.equal (pairs[1].Target, pairs[1].Id) ("unanswerable", "q2") "impossible question"
            Expect.equal pairs[0].Cue "\n###Answer\n" "the cue: the template after its last placeholder"
        }

        test "QA pairs from the SQuAD fixture keep file order and take the first of several answers" {
            let pairs = Tasks.Qa(SquadJson.Read(fixture "dev-v2.0.json")) |> Seq.toList
            Expect.equal [ for p in pairs -> p.Target ] [ "1874"; "local granite"; "unanswerable"; "112"; "unanswerable"; "1902"; "Étang" ] "targets"
            Expect.equal [ for p in pairs -> p.Id ] [ for i in 1 .. 7 -> $"5a1f000{i}" ] "ids"
            Expect.stringContains pairs[5].Source "###Context\nThe 𝔸-frame bridge" "context with a non-BMP character"
        }

        test "QA references keep every gold answer: a question with 3 answers keeps all 3, the pair's target stays the first" {
            let three = SquadQuestion("q3", "When?", [| SquadAnswer("1874", 37); SquadAnswer("in 1874", 34); SquadAnswer("built in 1874", 28) |], false)
            let a = SquadArticle("Gull_Point", [| SquadParagraph(context, [| answerable; three; impossible |]) |])
            let refs = Tasks.QaReferences [ a ] |> Seq.toList
            Expect.equal [ for r in refs -> r.Id ] [ "q1"; "q3"; "q2" ] "one reference per question, in the order of Tasks.Qa"
            Expect.sequenceEqual refs[1].Answers [ "1874"; "in 1874"; "built in 1874" ] "all three, in file order"
            Expect.isEmpty refs[2].Answers "an unanswerable question has none"
            Expect.equal [ for p in Tasks.Qa [ a ] -> p.Target ] [ "1874"; "1874"; "unanswerable" ] "targets unchanged"
        }

        test "QA references from the SQuAD fixture line up with its QA pairs" {
            let articles = SquadJson.Read(fixture "dev-v2.0.json")
            let refs = Tasks.QaReferences articles |> Seq.toList
            Expect.equal [ for r in refs -> r.Id ] [ for p in Tasks.Qa articles -> p.Id ] "same ids, same order"
            Expect.sequenceEqual refs[0].Answers [ "1874"; "in 1874" ] "both answers of the first question"
        }

        test "summarisation, code and essay pairs are filled exactly" {
            let s = Tasks.Summarisation(XsumExample("7", "Rain fell.\nRoads flooded.", "Rain flooded roads."))
            Expect.equal s (TextPair("Summarize the following document in one sentence.\n###Document\nRain fell.\nRoads flooded.\n###Summary\n", "Rain flooded roads.", "7", Cue = "\n###Summary\n")) "summary"
            let c = Tasks.CodeTranslation(CodePair("int f() {return 1;}", "int F(){return 1;}"))
            Expect.equal c (TextPair("Translate the following Java code to C#.\n###Java\nint f() {return 1;}\n###C#\n", "int F(){return 1;}", Cue = "\n###C#\n")) "code"
            let e = Tasks.EssayWriting(Essay("Discuss cars.", "Cars are useful.", 6.5))
            Expect.equal e (TextPair("Write an essay for the following prompt.\n###Prompt\nDiscuss cars.\n###Essay\n", "Cars are useful.", Cue = "\n###Essay\n")) "essay"
        }

        test "the sequence overloads map every example in order" {
            let xs = XsumJsonl.Read(fixture "xsum.jsonl") |> Seq.toList
            Expect.equal [ for p in Tasks.Summarisation xs -> p.Id, p.Target ] [ for x in xs -> x.Id, x.Summary ] "summaries"
            let code = CodeXGlue.Read(fixture "codexglue/test.java-cs.txt") |> Seq.toList
            Expect.equal [ for p in Tasks.CodeTranslation code -> p.Target ] [ for c in code -> c.CSharp ] "code"
            let essays = IeltsCsv.Read(fixture "ielts.csv") |> Seq.toList
            Expect.equal [ for p in Tasks.EssayWriting essays -> p.Target ] [ for e in essays -> e.Text ] "essays"
        }

        test "placeholders inside filled values stay literal (templates are filled in one pass)" {
            let q = SquadQuestion("q", "What does {context} mean?", [| SquadAnswer("x", 0) |], false)
            let p = Tasks.Qa("x {question}", q)
            Expect.equal p.Source "Answer the following question based only on the context.\n###Question\nWhat does {context} mean?\n###Context\nx {question}\n###Answer\n" "literal braces"
        }

        testProperty "filling the QA template puts question and context between the markers verbatim" <| fun (question: string | null) (ctx: string | null) ->
            let orEmpty (s: string | null) = match s with null -> "" | s -> s
            let question, ctx = orEmpty question, orEmpty ctx
            let p = Tasks.Qa(ctx, SquadQuestion("id", question, [||], true))
            let expected = "Answer the following question based only on the context.\n###Question\n" + question + "\n###Context\n" + ctx + "\n###Answer\n"
            Expect.equal p.Source expected "exact"

        test "a template's cue is its text after the last placeholder, and every source ends with it" {
            Expect.equal (Tasks.CueOf Tasks.QaTemplate) "\n###Answer\n" "QA"
            Expect.equal (Tasks.CueOf Tasks.SummaryTemplate) "\n###Summary\n" "summary"
            Expect.equal (Tasks.CueOf Tasks.CodeTemplate) "\n###C#\n" "code"
            Expect.equal (Tasks.CueOf Tasks.EssayTemplate) "\n###Essay\n" "essay"
            Expect.isNull (Tasks.CueOf "Echo {text}") "a template that ends in its placeholder has no cue"
            expectError<ArgumentException> (fun () -> Tasks.CueOf "no placeholder" |> ignore) [ "no placeholder" ]
            let pairs = Tasks.Qa(SquadJson.Read(fixture "dev-v2.0.json")) |> Seq.toList
            for p in pairs do Expect.stringEnds p.Source p.Cue $"{p.Id} ends with its cue"
        }

        test "Fill rejects a placeholder without a value and a value without a placeholder" {
            expectError<ArgumentException> (fun () -> Tasks.Fill(Tasks.QaTemplate, struct ("question", "q")) |> ignore) [ "{context}"; "no value" ]
            expectError<ArgumentException> (fun () -> Tasks.Fill(Tasks.CodeTemplate, struct ("java", "j"), struct ("cs", "c")) |> ignore) [ "'cs'"; "matches no placeholder" ]
        }
    ]
