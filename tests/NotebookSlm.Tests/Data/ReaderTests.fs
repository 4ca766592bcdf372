module NotebookSlm.Tests.Data.ReaderTests

open System
open System.Collections.Generic
open System.IO
open System.Text
open System.Threading
open Expecto
open Parquet
open Parquet.Schema
open NotebookSlm.Data
open NotebookSlm.Data.Readers
open NotebookSlm.Tests.Common

let fixture (name: string) = Path.Combine(repoRoot, "tests/NotebookSlm.Tests/fixtures/readers", name)

let tempDir () =
    let d = Path.Combine(Path.GetTempPath(), $"notebookslm-readers-{Guid.NewGuid():N}")
    Directory.CreateDirectory d |> ignore
    d

/// Writes text (exact bytes as UTF-8, no BOM) to a new temp file and returns its path.
let writeTemp (name: string) (text: string) =
    let path = Path.Combine(tempDir (), name)
    File.WriteAllBytes(path, UTF8Encoding(false).GetBytes text)
    path

/// Replaces the only occurrence of a fragment (fails when it is absent or repeated).
let replaceOnce (fragment: string) (replacement: string) (text: string) =
    let i = text.IndexOf(fragment, StringComparison.Ordinal)
    if i < 0 || text.IndexOf(fragment, i + 1, StringComparison.Ordinal) >= 0 then
        failwith $"fragment {fragment} must occur exactly once"
    text.Substring(0, i) + replacement + text.Substring(i + fragment.Length)

/// The 1-based line on which a fragment starts.
let lineOf (text: string) (fragment: string) =
    1 + (text.Substring(0, text.IndexOf(fragment, StringComparison.Ordinal)) |> Seq.filter ((=) '\n') |> Seq.length)

/// No lone surrogates: FsCheck strings may hold them, and UTF-8 files cannot.
let clean (s: string | null) =
    match s with
    | null -> ""
    | s -> String.map (fun c -> if Char.IsSurrogate c then 'x' else c) s

let squadShape (articles: SquadArticle seq) =
    [ for a in articles ->
        a.Title,
        [ for p in a.Paragraphs ->
            p.Context, [ for q in p.Questions -> q.Id, q.Question, q.IsImpossible, [ for x in q.Answers -> x.Text, x.Start ] ] ] ]

let squadText () = File.ReadAllText(fixture "dev-v2.0.json")

/// Reads a mutated copy of the SQuAD fixture and expects an error at a JSON path on a line.
let expectSquadError (mutate: string -> string) (path: string) (line: int) (more: string list) =
    let file = writeTemp "dev-v2.0.json" (mutate (squadText ()))
    expectError<DataFormatException> (fun () -> SquadJson.Read file |> ignore) ([ $"{file}:{line}:"; $"field '{path}'" ] @ more)

/// A FineWeb-like parquet written directly with Parquet.Net: float scores, no text column when asked.
let writeRawParquet (path: string) (withText: bool) =
    let idF = DataField<string>("id")
    let textF = DataField<string>("text")
    let scoreF = DataField<float32>("score")
    let urlF = DataField<string>("url")
    let fields: Field[] = if withText then [| idF; textF; scoreF; urlF |] else [| idF; scoreF |]
    use fs = File.Create path
    let w = ParquetWriter.CreateAsync(ParquetSchema(fields), fs).Result
    let g = w.CreateRowGroup()
    let strings (xs: string[]) = xs :> IReadOnlyCollection<string>
    g.WriteAsync(idF, strings [| "<urn:uuid:1>"; "<urn:uuid:2>" |], Nullable()).Wait()
    if withText then g.WriteAsync(textF, strings [| "first page"; "second page, longer" |], Nullable()).Wait()
    g.WriteAsync<float32>(scoreF, ReadOnlyMemory<float32>([| 2.5f; 3.25f |]), Nullable(), null, CancellationToken.None).Wait()
    if withText then g.WriteAsync(urlF, strings [| "http://a"; "http://b" |], Nullable()).Wait()
    g.Dispose()
    w.DisposeAsync().AsTask().Wait()

let near (actual: float) (expected: float) (what: string) = Expect.floatClose Accuracy.high actual expected what

[<Tests>]
let tests =
    testList "Data readers" [
        // ---- JSONL pairs -------------------------------------------------------------
        test "the authors' JSONL fixture reads four pairs, skipping the blank line, with string and numeric ids" {
            let pairs = JsonlPairs.Read(fixture "pairs.jsonl") |> Seq.toList
            Expect.equal pairs.Length 4 "four pairs"
            Expect.equal [ for p in pairs -> p.Id ] ([ "p1"; null; null; "17" ]: (string | null) list) "ids"
            Expect.equal pairs[3].Source "tab\tseparated\nlines" "escapes decoded"
            Expect.equal pairs[1].Target "no way" "target"
        }

        testProperty "JSONL pairs round-trip through Write and Read" <| fun (items: (string * string * bool) list) ->
            let pairs = [ for (s, t, hasId) in items -> (if hasId then TextPair(clean s, clean t, clean s + "#id") else TextPair(clean s, clean t)) ]
            let path = Path.Combine(tempDir (), "pairs.jsonl")
            JsonlPairs.Write(path, pairs)
            let back = JsonlPairs.Read path |> Seq.toList
            Expect.equal back pairs "same pairs"

        test "JSONL pairs are written with \\n endings and identical bytes on every write" {
            let pairs = [ TextPair("a <b> & \"c\"\n", "é", "x"); TextPair("s", "t") ]
            let dir = tempDir ()
            JsonlPairs.Write(Path.Combine(dir, "1.jsonl"), pairs)
            JsonlPairs.Write(Path.Combine(dir, "2.jsonl"), pairs)
            let text = File.ReadAllText(Path.Combine(dir, "1.jsonl"))
            Expect.equal text "{\"source\":\"a <b> & \\\"c\\\"\\n\",\"target\":\"é\",\"id\":\"x\"}\n{\"source\":\"s\",\"target\":\"t\"}\n" "exact text"
            Expect.equal (File.ReadAllBytes(Path.Combine(dir, "2.jsonl"))) (File.ReadAllBytes(Path.Combine(dir, "1.jsonl"))) "deterministic"
        }

        test "a line that is not JSON is an error naming the file, the line and field (json)" {
            let path = writeTemp "bad.jsonl" "{\"source\": \"a\", \"target\": \"b\"}\n{\"source\": \"a\", \"target\": \n"
            expectError<DataFormatException> (fun () -> JsonlPairs.Read path |> Seq.iter ignore) [ $"{path}:2:"; "field '(json)'"; "JSON object" ]
        }

        test "a JSON line that is not an object is an error naming the line" {
            let path = writeTemp "array.jsonl" "\n[1, 2]\n"
            expectError<DataFormatException> (fun () -> JsonlPairs.Read path |> Seq.iter ignore) [ $"{path}:2:"; "field '(json)'"; "found array" ]
        }

        test "a missing target is an error naming the file, the line and the field" {
            let path = writeTemp "missing.jsonl" "{\"source\": \"a\", \"target\": \"b\"}\r\n\r\n{\"source\": \"a\"}\r\n"
            expectError<DataFormatException> (fun () -> JsonlPairs.Read path |> Seq.iter ignore) [ $"{path}:3:"; "field 'target'"; "missing; expected a string" ]
        }

        test "a source of the wrong type is an error saying what was found" {
            let path = writeTemp "type.jsonl" "{\"source\": 12, \"target\": \"b\"}\n"
            expectError<DataFormatException> (fun () -> JsonlPairs.Read path |> Seq.iter ignore) [ $"{path}:1:"; "field 'source'"; "expected a string, found the number 12" ]
        }

        test "invalid UTF-8 inside a JSON line is an error naming the line" {
            let path = Path.Combine(tempDir (), "utf8.jsonl")
            File.WriteAllBytes(path, Array.concat [ "{\"source\": \"ok\", \"target\": \"ok\"}\n{\"source\": \"b"B; [| 0xFFuy |]; "d\", \"target\": \"t\"}\n"B ])
            expectError<DataFormatException> (fun () -> JsonlPairs.Read path |> Seq.iter ignore) [ $"{path}:2:" ]
        }

        test "a line longer than the 1 MiB read buffer is read whole" {
            let long = String('w', 3_000_000)
            let path = Path.Combine(tempDir (), "long.jsonl")
            JsonlPairs.Write(path, [ TextPair("short", "t"); TextPair(long, "t2"); TextPair("after", "t3") ])
            let back = JsonlPairs.Read path |> Seq.toList
            Expect.equal [ for p in back -> p.Source.Length ] [ 5; 3_000_000; 5 ] "lengths"
        }

        // ---- documents JSONL ---------------------------------------------------------
        test "the documents fixture reads ids, texts and scores, NaN where the score is absent" {
            let docs = DocumentsJsonl.Read(fixture "documents.jsonl") |> Seq.toList
            Expect.equal [ for d in docs -> d.Id ] [ "man/ls.1"; "wordnet/00001740"; "python/tutorial/intro" ] "ids"
            Expect.equal docs[0].Score 2.75 "score"
            Expect.isTrue (Double.IsNaN docs[1].Score) "absent score is NaN"
            Expect.stringContains docs[2].Text "café ☕" "non-ASCII text"
            Expect.stringContains docs[0].Text "contents.\nBy default" "line break kept"
        }

        test "documents round-trip, with a NaN score written as an absent field" {
            let docs = [ Document("a", "x y", 0.1); Document("b", "z", nan); Document("c", "", -3.0) ]
            let path = Path.Combine(tempDir (), "docs.jsonl")
            DocumentsJsonl.Write(path, docs)
            let back = DocumentsJsonl.Read path |> Seq.toList
            Expect.equal [ for d in back -> d.Id, d.Text ] [ for d in docs -> d.Id, d.Text ] "ids and texts"
            Expect.equal back[0].Score 0.1 "score exact"
            Expect.isTrue (Double.IsNaN back[1].Score) "NaN back"
            let lines = File.ReadAllLines path
            Expect.isFalse (lines[1].Contains "score") "no score field for NaN"
        }

        test "a document score that is not a number is an error naming the field" {
            let path = writeTemp "docs.jsonl" "{\"id\": \"a\", \"text\": \"t\", \"score\": \"high\"}\n"
            expectError<DataFormatException> (fun () -> DocumentsJsonl.Read path |> Seq.iter ignore) [ $"{path}:1:"; "field 'score'"; "expected a number, found a string" ]
        }

        // ---- SQuAD 2.0 ---------------------------------------------------------------
        test "the SQuAD 2.0 fixture reads 2 articles, 3 paragraphs and 7 questions, 2 of them impossible" {
            let arts = SquadJson.Read(fixture "dev-v2.0.json")
            Expect.equal [ for a in arts -> a.Title ] [ "Gull_Point_Lighthouse"; "Tarn_Bridge" ] "titles"
            let qs = [ for a in arts do for p in a.Paragraphs do for q in p.Questions -> q ]
            Expect.equal qs.Length 7 "questions"
            Expect.equal [ for q in qs do if q.IsImpossible then q.Id ] [ "5a1f0003"; "5a1f0005" ] "impossible"
            Expect.equal [ for x in qs[0].Answers -> x.Text, x.Start ] [ "1874", 42; "in 1874", 39 ] "two dev answers"
            Expect.isEmpty qs[2].Answers "plausible answers are not answers"
        }

        test "SQuAD answer_start counts code points; Start is the .NET index into the context" {
            let arts = SquadJson.Read(fixture "dev-v2.0.json")
            let p = arts[1].Paragraphs[0]
            let a = p.Questions[0].Answers[0]
            Expect.stringContains (squadText ()) "\"answer_start\": 49" "the file says 49 (code points, after U+1D538)"
            Expect.equal a.Start 50 "UTF-16 index"
            Expect.equal (p.Context.Substring(a.Start, a.Text.Length)) "1902" "Substring finds the answer"
            let e = p.Questions[1].Answers[0]
            Expect.equal (p.Context.Substring(e.Start, e.Text.Length)) "Étang" "non-ASCII answer"
        }

        test "SQuAD round-trips through Write and Read, writing code point offsets and version v2.0" {
            let arts = SquadJson.Read(fixture "dev-v2.0.json")
            let path = Path.Combine(tempDir (), "out.json")
            SquadJson.Write(path, arts)
            Expect.equal (squadShape (SquadJson.Read path)) (squadShape arts) "same articles"
            let text = File.ReadAllText path
            Expect.stringStarts text "{\"version\":\"v2.0\",\"data\":[" "layout"
            Expect.stringContains text "\"text\":\"1902\",\"answer_start\":49" "code points written back"
        }

        test "SQuAD answer_start outside the context is an error at its JSON path and line" {
            let text = squadText ()
            expectSquadError (replaceOnce "\"answer_start\": 42" "\"answer_start\": 4200")
                "data[0].paragraphs[0].qas[0].answers[0].answer_start" (lineOf text "\"answer_start\": 42") [ "lies outside"; "4200" ]
        }

        test "SQuAD answer text that does not match the context at answer_start is an error at the text's path" {
            let text = squadText ()
            expectSquadError (replaceOnce "\"text\": \"local granite\"" "\"text\": \"local marble\"")
                "data[0].paragraphs[0].qas[1].answers[0].text" (lineOf text "\"text\": \"local granite\"") [ "'local marble' does not match"; "which reads 'local granit'" ]
        }

        test "a repeated SQuAD id is an error naming both places" {
            let text = squadText ()
            expectSquadError (replaceOnce "\"id\": \"5a1f0006\"" "\"id\": \"5a1f0002\"")
                "data[1].paragraphs[0].qas[0].id" (lineOf text "\"id\": \"5a1f0006\"") [ "'5a1f0002'"; "data[0].paragraphs[0].qas[1]" ]
        }

        test "an impossible SQuAD question with answers is an error at its answers" {
            let text = squadText ()
            let q3 = "\"id\": \"5a1f0003\",\n              \"answers\": []"
            let withAnswer = "\"id\": \"5a1f0003\",\n              \"answers\": [{\"text\": \"1989\", \"answer_start\": 142}]"
            expectSquadError (replaceOnce q3 withAnswer) "data[0].paragraphs[0].qas[2].answers" (lineOf text q3 + 1) [ "is_impossible is true"; "expected none" ]
        }

        test "an answerable SQuAD question without answers is an error" {
            let text = squadText ()
            let flag = "\"is_impossible\": true\n            }\n          ],\n          \"context\": \"Visitors"
            expectSquadError (replaceOnce flag (flag.Replace("true", "false")))
                "data[0].paragraphs[1].qas[1].answers" (lineOf text "\"id\": \"5a1f0005\"" + 1) [ "expected at least one answer" ]
        }

        test "a SQuAD field of the wrong type is an error at its path" {
            let text = squadText ()
            let q = "\"question\": \"When did the first keeper arrive?\""
            expectSquadError (replaceOnce q "\"question\": 3") "data[0].paragraphs[0].qas[2].question" (lineOf text q) [ "expected a string, found number" ]
        }

        test "SQuAD JSON with a syntax error is an error naming the line of the fault" {
            let text = squadText ()
            let fragment = "\"id\": \"5a1f0004\","
            let file = writeTemp "broken.json" (replaceOnce fragment "\"id\": \"5a1f0004\"" text)
            // The missing comma is noticed at the next property, one line down.
            expectError<DataFormatException> (fun () -> SquadJson.Read file |> ignore) [ $"{file}:{lineOf text fragment + 1}:"; "field '(json)'" ]
        }

        test "SQuAD JSON without data is an error naming the field" {
            let file = writeTemp "empty.json" "{\"version\": \"v2.0\"}"
            expectError<DataFormatException> (fun () -> SquadJson.Read file |> ignore) [ $"{file}:1:"; "field 'data'"; "missing" ]
        }

        // ---- XSum --------------------------------------------------------------------
        test "the XSum fixture reads documents, summaries and string ids" {
            let xs = XsumJsonl.Read(fixture "xsum.jsonl") |> Seq.toList
            Expect.equal [ for x in xs -> x.Id ] [ "35232142"; "40143035" ] "ids"
            Expect.stringStarts xs[0].Document "The council approved" "document"
            Expect.equal xs[1].Summary "Flooding hit dozens of homes in the valley after overnight rain." "summary"
        }

        test "XSum round-trips, and a numeric id is kept as its text" {
            let path = Path.Combine(tempDir (), "x.jsonl")
            XsumJsonl.Write(path, [ XsumExample("1", "d\n\"q\"", "s"); XsumExample("2", "", "") ])
            Expect.equal (XsumJsonl.Read path |> Seq.toList) [ XsumExample("1", "d\n\"q\"", "s"); XsumExample("2", "", "") ] "same"
            let numeric = writeTemp "n.jsonl" "{\"document\": \"d\", \"summary\": \"s\", \"id\": 123}\n"
            Expect.equal (XsumJsonl.Read numeric |> Seq.exactlyOne).Id "123" "numeric id"
            let noId = writeTemp "m.jsonl" "{\"document\": \"d\", \"summary\": \"s\"}\n"
            expectError<DataFormatException> (fun () -> XsumJsonl.Read noId |> Seq.iter ignore) [ $"{noId}:1:"; "field 'id'" ]
        }

        // ---- CodeXGLUE ---------------------------------------------------------------
        test "the CodeXGLUE fixture reads three pairs from the prefix or the .java path" {
            let prefix = fixture "codexglue/test.java-cs.txt"
            let pairs = CodeXGlue.Read prefix |> Seq.toList
            Expect.equal pairs.Length 3 "three pairs"
            Expect.equal pairs[1] (CodePair("public void setName(String name) {this.name = name;}", "public void SetName(string name){this.name = name;}")) "second pair"
            Expect.equal (CodeXGlue.Read(prefix + ".java") |> Seq.toList) pairs "same from the .java path"
        }

        test "CodeXGLUE pairs round-trip through Write and Read" {
            let prefix = Path.Combine(tempDir (), "train.java-cs.txt")
            let pairs = [ CodePair("int a() {return 1;}", "int A(){return 1;}"); CodePair("x", "y") ]
            CodeXGlue.Write(prefix, pairs)
            Expect.equal (CodeXGlue.Read prefix |> Seq.toList) pairs "same"
            Expect.equal (File.ReadAllText(prefix + ".cs")) "int A(){return 1;}\ny\n" "one method per line"
            expectError<ArgumentException> (fun () -> CodeXGlue.Write(prefix, [ CodePair("a\nb", "c") ])) [ "pair 0"; "Java"; "one non-empty line" ]
        }

        test "CodeXGLUE files with different line counts are an error naming both files and both counts" {
            let dir = tempDir ()
            let prefix = Path.Combine(dir, "valid.java-cs.txt")
            File.WriteAllText(prefix + ".java", "a\nb\nc\n")
            File.WriteAllText(prefix + ".cs", "A\nB\n")
            expectError<DataFormatException> (fun () -> CodeXGlue.Read prefix |> Seq.iter ignore)
                [ prefix + ".java"; prefix + ".cs"; "has 3 lines but"; "has 2" ]
        }

        test "an empty CodeXGLUE line is an error naming the file and the line" {
            let prefix = Path.Combine(tempDir (), "test.java-cs.txt")
            File.WriteAllText(prefix + ".java", "a\nb\nc\n")
            File.WriteAllText(prefix + ".cs", "A\n\nC\n")
            expectError<DataFormatException> (fun () -> CodeXGlue.Read prefix |> Seq.iter ignore) [ $"{prefix}.cs:2:"; "field 'cs'"; "empty line" ]
        }

        // ---- IELTS CSV ---------------------------------------------------------------
        test "the IELTS CSV fixture reads quoted line breaks, commas and doubled quotes, and bands" {
            let essays = IeltsCsv.Read(fixture "ielts.csv") |> Seq.toList
            Expect.equal essays.Length 3 "three essays"
            Expect.equal essays[0].Text "Cars are convenient, but they crowd our streets.\r\n\r\nIn my view, a \"car-free\" centre, with good buses, would help everyone." "quoted field"
            Expect.equal [ for e in essays -> e.Band ] [ 6.5; 5.0; 7.5 ] "bands"
            Expect.equal essays[2].Text "It saves time, \"but\" it isolates people; both matter." "doubled quotes"
            Expect.equal essays[1].Prompt "Should university education be free?" "prompt"
        }

        test "IELTS columns match case-insensitively in any order, extra columns are ignored and an empty band is NaN" {
            let path = writeTemp "e.csv" "Band,extra,ESSAY,Prompt\n,x,the essay,the prompt\n7,y,e2,p2\n"
            let essays = IeltsCsv.Read path |> Seq.toList
            Expect.equal [ for e in essays -> e.Prompt, e.Text ] [ "the prompt", "the essay"; "p2", "e2" ] "fields"
            Expect.isTrue (Double.IsNaN essays[0].Band) "empty band"
            Expect.equal essays[1].Band 7.0 "band"
        }

        test "a CSV exported with pandas' unnamed index column reads the same essays" {
            // chillies/IELTS_evaluations ships its CSV this way: header ",prompt,essay,evaluation,band".
            let path = writeTemp "pandas.csv" ",prompt,essay,evaluation,band\n0,p0,\"e0, with comma\",\"## Task Achievement:\nok\",6.5\n1,p1,e1,v,7\n"
            let essays = IeltsCsv.Read path |> Seq.toList
            Expect.equal [ for e in essays -> e.Prompt, e.Text, e.Band ] [ "p0", "e0, with comma", 6.5; "p1", "e1", 7.0 ] "essays"
        }

        test "a non-numeric band is an error naming the physical line where the record starts" {
            let path = writeTemp "b.csv" "prompt,essay,band\np,\"two\nlines\",6\np2,e2,six\n"
            expectError<DataFormatException> (fun () -> IeltsCsv.Read path |> Seq.iter ignore) [ $"{path}:4:"; "field 'band'"; "'six' is not a number" ]
        }

        test "a missing IELTS column is an error listing the header" {
            let path = writeTemp "h.csv" "prompt,essay,evaluation\np,e,v\n"
            expectError<DataFormatException> (fun () -> IeltsCsv.Read path |> Seq.iter ignore) [ $"{path}:1:"; "field 'band'"; "'evaluation'" ]
        }

        test "a stray quote and text after a closing quote are errors naming the record's line" {
            let stray = writeTemp "s.csv" "prompt,essay,band\np,e,5\np,ab\"c,6\n"
            expectError<DataFormatException> (fun () -> Csv.Read stray |> Seq.iter ignore) [ $"{stray}:3:"; "inside an unquoted field" ]
            let after = writeTemp "a.csv" "prompt,essay,band\n\"p\nq\"x,e,5\n"
            expectError<DataFormatException> (fun () -> Csv.Read after |> Seq.iter ignore) [ $"{after}:2:"; "after a closing quote" ]
            let lines = writeTemp "l.csv" "a,b\r\r\n\"x\ny\",z\rc,d"
            Expect.equal [ for r in Csv.Read lines -> r.Line, List.ofSeq r.Fields ] [ 1L, [ "a"; "b" ]; 3L, [ "x\ny"; "z" ]; 5L, [ "c"; "d" ] ]
                "CR, CRLF and LF records; an empty line skipped; records start where they start"
        }

        test "an unterminated quote is an error naming the line where the record starts" {
            let path = writeTemp "q.csv" "prompt,essay,band\np,\"never closed\n\nmore,5\n"
            expectError<DataFormatException> (fun () -> IeltsCsv.Read path |> Seq.iter ignore) [ $"{path}:2:"; "unterminated" ]
        }

        test "a record with the wrong number of fields is an error naming its line" {
            let path = writeTemp "n.csv" "prompt,essay,band\r\np,e,5\r\np,e\r\n"
            expectError<DataFormatException> (fun () -> IeltsCsv.Read path |> Seq.iter ignore) [ $"{path}:3:"; "2 fields; expected 3" ]
        }

        test "IELTS essays round-trip through Write and Read, NaN bands included" {
            let essays = [ Essay("p, with comma", "line1\nline2 \"q\"", 6.5); Essay(" lead", "", nan); Essay("p", "e", 9.0) ]
            let path = Path.Combine(tempDir (), "out.csv")
            IeltsCsv.Write(path, essays)
            let back = IeltsCsv.Read path |> Seq.toList
            Expect.equal [ for e in back -> e.Prompt, e.Text ] [ for e in essays -> e.Prompt, e.Text ] "texts"
            Expect.equal back[0].Band 6.5 "band"
            Expect.isTrue (Double.IsNaN back[1].Band) "NaN band"
            Expect.equal (File.ReadAllText path) "prompt,essay,band\n\"p, with comma\",\"line1\nline2 \"\"q\"\"\",6.5\n\" lead\",,\np,e,9\n" "exact CSV"
        }

        testProperty "any CSV records written with Csv.Quote read back field for field" <| fun (records: string list list) ->
            let rows = [ for r in records do
                            let fields = [ for f in r -> clean f ]
                            if fields <> [] && fields <> [ "" ] then fields ]
            let path = writeTemp "p.csv" (String.Join("", [ for r in rows -> String.Join(",", List.map Csv.Quote r) + "\r\n" ]))
            let back = [ for r in Csv.Read path -> List.ofSeq r.Fields ]
            Expect.equal back rows "same fields"

        // ---- FineWeb parquet ---------------------------------------------------------
        test "FineWeb-Edu parquet with float scores and extra columns reads text, id and score" {
            let path = Path.Combine(tempDir (), "000_00000.parquet")
            writeRawParquet path true
            let docs = FineWebParquet.Read path |> Seq.toList
            Expect.equal [ for d in docs -> d.Id, d.Text, d.Score ] [ "<urn:uuid:1>", "first page", 2.5; "<urn:uuid:2>", "second page, longer", 3.25 ] "rows"
        }

        test "parquet written by FineWebParquet round-trips across several row groups" {
            let docs = [ for i in 0 .. 25_000 -> Document($"d{i}", $"text {i}", (if i % 7 = 0 then nan else float i / 4.0)) ]
            let path = Path.Combine(tempDir (), "docs.parquet")
            FineWebParquet.Write(path, docs)
            let back = FineWebParquet.Read path |> Seq.toList
            Expect.equal back.Length docs.Length "count"
            Expect.equal [ for d in back -> d.Id, d.Text ] [ for d in docs -> d.Id, d.Text ] "ids and texts"
            Expect.isTrue (List.forall2 (fun (a: Document) (b: Document) -> a.Score = b.Score || (Double.IsNaN a.Score && Double.IsNaN b.Score)) back docs) "scores, NaN as null"
        }

        test "parquet without a text column is an error naming the file and the columns present" {
            let path = Path.Combine(tempDir (), "notext.parquet")
            writeRawParquet path false
            expectError<DataFormatException> (fun () -> FineWebParquet.Read path |> Seq.iter ignore) [ path; "field 'text'"; "columns present: id, score" ]
        }

        // ---- plain text folders ------------------------------------------------------
        test "a text folder reads every .txt recursively in ordinal order with '/' ids" {
            let docs = PlainTextFolder.Read(fixture "text") |> Seq.toList
            Expect.equal [ for d in docs -> d.Id ] [ "B.txt"; "a.txt"; "notes/b.txt" ] "ordinal order, .md ignored"
            Expect.equal docs[1].Text "first document\nsecond line\n" "text"
            Expect.isTrue (docs |> List.forall (fun d -> Double.IsNaN d.Score)) "no scores"
        }

        test "invalid UTF-8 in a text file is an error naming the file and the line" {
            let dir = tempDir ()
            Directory.CreateDirectory(Path.Combine(dir, "sub")) |> ignore
            let bad = Path.Combine(dir, "sub", "bad.txt")
            File.WriteAllBytes(bad, Array.concat [ "ok\nstill ok\nbad "B; [| 0xC3uy; 0x28uy |]; " here\n"B ])
            expectError<DataFormatException> (fun () -> PlainTextFolder.Read dir |> Seq.iter ignore) [ $"{bad}:3:"; "invalid UTF-8 at byte 16" ]
        }

        test "text folders round-trip through Write and Read, and ids that escape the folder are refused" {
            let dir = tempDir ()
            let docs = [ Document("x/y.txt", "é\n", nan); Document("z.txt", "", nan) ]
            PlainTextFolder.Write(dir, docs)
            Expect.equal [ for d in PlainTextFolder.Read dir -> d.Id, d.Text ] [ "x/y.txt", "é\n"; "z.txt", "" ] "same"
            expectError<ArgumentException> (fun () -> PlainTextFolder.Write(dir, [ Document("../out.txt", "", nan) ])) [ "../out.txt" ]
        }

        // ---- format inspection -------------------------------------------------------
        test "Inspect on the JSONL fixture gives hand-computed lengths in characters, words and tokens" {
            // sources: "one two three" (13 chars, 3 words), "a b" (3, 2), "  spaced   out words  " (22, 3),
            // "tab\tseparated\nlines" (19, 3); targets: "yes" (3, 1), "no way" (6, 2), "x" (1, 1),
            // "multi word target here" (22, 4). Quantiles interpolate at rank q*(n-1): median at 1.5, p90 at 2.7.
            let stats = DataFormats.Inspect("jsonl", fixture "pairs.jsonl", fun s -> s.Length % 5)
            Expect.equal stats.Examples 4L "examples"
            Expect.equal [ for f in stats.Fields -> f.Name, f.Count ] [ "source", 4L; "target", 4L ] "fields"
            let check (l: NotebookSlm.Reporting.Stats) (min, mean, median, p90, max) what =
                near l.Min min $"{what} min"; near l.Mean mean $"{what} mean"; near l.Median median $"{what} median"
                near l.P90 p90 $"{what} p90"; near l.Max max $"{what} max"
            let source, target = stats.Field "source", stats.Field "target"
            check source.Chars (3.0, 14.25, 16.0, 21.1, 22.0) "source chars"        // sorted 3 13 19 22
            check source.Words (2.0, 2.75, 3.0, 3.0, 3.0) "source words"          // sorted 2 3 3 3
            match source.Tokens with
            | null -> failwith "token lengths expected with a tokenizer"
            | tokens -> check tokens (2.0, 3.0, 3.0, 3.7, 4.0) "source tokens"  // 13%5=3 3 22%5=2 19%5=4
            check target.Chars (1.0, 8.0, 4.5, 17.2, 22.0) "target chars"         // sorted 1 3 6 22
            check target.Words (1.0, 2.0, 1.5, 3.4, 4.0) "target words"           // sorted 1 1 2 4
            Expect.isEmpty stats.Values "no numeric columns"
            Expect.isTrue (isNull (DataFormats.Inspect("jsonl", fixture "pairs.jsonl")).Fields[0].Tokens) "no tokens without a tokenizer"
        }

        test "Inspect on SQuAD counts questions, unanswerable ones, contexts per paragraph and first answers" {
            let stats = DataFormats.Inspect("squad", fixture "dev-v2.0.json")
            Expect.equal stats.Examples 7L "questions"
            Expect.equal stats.Unanswerable (Nullable 2L) "unanswerable"
            Expect.equal [ for f in stats.Fields -> f.Name, f.Count ] [ "question", 7L; "context", 3L; "answer", 5L ] "fields"
            let c = (stats.Field "context").Chars   // 147, 118, 114 UTF-16 units
            near c.Min 114.0 "min"; near c.Mean (379.0 / 3.0) "mean"; near c.Median 118.0 "median"; near c.P90 141.2 "p90"; near c.Max 147.0 "max"
            let a = (stats.Field "answer").Chars    // 1874, local granite, 112, 1902, Étang: 3 4 4 5 13
            near a.Mean 5.8 "answer mean"; near a.Median 4.0 "answer median"; near a.P90 9.8 "answer p90"
            near (stats.Field "question").Chars.Mean (256.0 / 7.0) "question mean"
        }

        test "Inspect reports bands and scores as present and missing values" {
            let ielts = DataFormats.Inspect("ielts", fixture "ielts.csv")
            Expect.equal ielts.Examples 3L "essays"
            let band = ielts.Values |> Seq.exactlyOne
            Expect.equal (band.Name, band.Present, band.Missing, band.Min, band.Max) ("band", 3L, 0L, 5.0, 7.5) "band"
            near band.Mean (19.0 / 3.0) "band mean"
            let docs = DataFormats.Inspect("documents", fixture "documents.jsonl")
            let score = docs.Values |> Seq.exactlyOne
            Expect.equal (score.Present, score.Missing, score.Min, score.Max) (2L, 1L, 2.75, 3.5) "scores"
        }

        test "every format name inspects its fixture" {
            let parquet = Path.Combine(tempDir (), "fw.parquet")
            writeRawParquet parquet true
            let cases =
                [ "jsonl", fixture "pairs.jsonl", 4L, [ "source"; "target" ]
                  "documents", fixture "documents.jsonl", 3L, [ "text" ]
                  "squad", fixture "dev-v2.0.json", 7L, [ "question"; "context"; "answer" ]
                  "xsum", fixture "xsum.jsonl", 2L, [ "document"; "summary" ]
                  "codexglue", fixture "codexglue/test.java-cs.txt", 3L, [ "java"; "cs" ]
                  "ielts", fixture "ielts.csv", 3L, [ "prompt"; "essay" ]
                  "fineweb", parquet, 2L, [ "text" ]
                  "text", fixture "text", 3L, [ "text" ] ]
            Expect.equal [ for (n, _, _, _) in cases -> n ] (List.ofSeq DataFormats.Names) "every name covered"
            for (name, path, n, fields) in cases do
                let stats = DataFormats.Inspect(name, path)
                Expect.equal stats.Examples n $"{name} examples"
                Expect.equal [ for f in stats.Fields -> f.Name ] fields $"{name} fields"
        }

        test "Inspect renders a readable table" {
            let text = (DataFormats.Inspect("squad", fixture "dev-v2.0.json", fun s -> s.Length)).ToText()
            Expect.stringContains text "examples  7" "examples"
            Expect.stringContains text "unanswerable  2 (28.6%)" "unanswerable share"
            let lines = text.Split('\n')
            Expect.isTrue (lines |> Array.exists (fun l -> l.StartsWith "field" && l.Contains "median" && l.Contains "p90")) "header"
            let row = lines |> Array.find (fun l -> l.StartsWith "context" && l.Contains "chars")
            Expect.equal (row.Split(' ', StringSplitOptions.RemoveEmptyEntries)) [| "context"; "3"; "chars"; "114"; "126.3"; "118.0"; "141.2"; "147" |] "context row"
            Expect.isTrue (lines |> Array.exists (fun l -> l.StartsWith "answer" && l.Contains "tokens")) "token rows"
        }

        test "an unknown format is an ArgumentException listing the known names, and reader errors surface unchanged" {
            expectError<ArgumentException> (fun () -> DataFormats.Inspect("csv", fixture "ielts.csv") |> ignore)
                [ "'csv'"; "jsonl, documents, squad, xsum, codexglue, ielts, fineweb, text" ]
            let bad = writeTemp "bad.jsonl" "{\"source\": 1}\n"
            expectError<DataFormatException> (fun () -> DataFormats.Inspect("jsonl", bad) |> ignore) [ $"{bad}:1: field 'source'" ]
        }
    ]
