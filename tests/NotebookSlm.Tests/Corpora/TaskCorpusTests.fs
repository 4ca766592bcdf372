module NotebookSlm.Tests.Corpora.TaskCorpusTests

open System
open System.IO
open System.IO.Compression
open System.Text
open System.Text.Json
open Expecto
open FsCheck
open NotebookSlm.Data
open NotebookSlm.Corpora
open NotebookSlm.Tests.Common

// ---------------------------------------------------------------- helpers

let fixtures = Path.Combine(repoRoot, "tests/NotebookSlm.Tests/fixtures/tasks")

/// A JSON string property (failing on null, which the formats never hold).
let str (e: JsonElement) (name: string) =
    match e.GetProperty(name).GetString() with
    | null -> failwith $"{name} is null"
    | s -> s

let tempDir (name: string) =
    let d = Path.Combine(Path.GetTempPath(), $"slm-tasks-{name}-{Guid.NewGuid():N}")
    Directory.CreateDirectory d |> ignore
    d

/// The fixture JDK sources zipped like src.zip (entries java.base/...), built once.
let fixtureZip =
    lazy (
        let path = Path.Combine(tempDir "jdk", "src.zip")
        ZipFile.CreateFromDirectory(Path.Combine(fixtures, "jdk"), path)
        path)

let raw () =
    RawSources(
        ManPages = Path.Combine(fixtures, "man"), AppStream = Path.Combine(fixtures, "appstream"),
        WordNet = Path.Combine(fixtures, "wordnet"), PythonDocs = Path.Combine(fixtures, "python"),
        DebianHandbook = Path.Combine(fixtures, "handbook"), JdkSourceZip = fixtureZip.Force(),
        NpmRoot = Path.Combine(fixtures, "npm"))

let build (recipe: ICorpusRecipe) (seed: int) =
    let dir = tempDir recipe.Name
    let manifest = recipe.Build(BuildContext(dir, raw (), seed, ignore))
    dir, manifest

/// Each recipe built once on the fixtures with seed 1 (the tests only read these).
let built = Collections.Concurrent.ConcurrentDictionary<string, string * Manifest>()
let get (recipe: ICorpusRecipe) = built.GetOrAdd(recipe.Name, fun _ -> build recipe 1)

let qa () = get (QaLocal())
let sum () = get (SumLocal())
let code () = get (CodeLocal())
let essay () = get (EssayLocal())

let lines (path: string) =
    let text = File.ReadAllText path
    Expect.isFalse (text.Contains '\r') $"{path}: \\n line ends only"
    if text.Length = 0 then [||] else text.TrimEnd('\n').Split('\n')

/// RFC 4180 reader: fields separated by commas, quoted fields may hold commas, doubled
/// quotes and line breaks; records end at "\n".
let parseCsv (text: string) =
    let rows = ResizeArray<string list>()
    let field = StringBuilder()
    let mutable row = []
    let mutable i = 0
    let mutable quoted = false
    while i < text.Length do
        let c = text[i]
        if quoted then
            if c = '"' && i + 1 < text.Length && text[i + 1] = '"' then field.Append('"') |> ignore; i <- i + 1
            elif c = '"' then quoted <- false
            else field.Append c |> ignore
        elif c = '"' then
            if field.Length > 0 then failwith $"quote inside an unquoted field at {i}"
            quoted <- true
        elif c = ',' then row <- field.ToString() :: row; field.Clear() |> ignore
        elif c = '\n' then rows.Add(List.rev (field.ToString() :: row)); row <- []; field.Clear() |> ignore
        else field.Append c |> ignore
        i <- i + 1
    if quoted then failwith "unterminated quoted field"
    if field.Length > 0 || not row.IsEmpty then rows.Add(List.rev (field.ToString() :: row))
    List.ofSeq rows

type QaRow = { Title: string; Context: string; Id: string; Question: string; Answers: (string * int) list; Impossible: bool }

let readSquad (path: string) =
    use doc = JsonDocument.Parse(File.ReadAllText path)
    let root = doc.RootElement
    Expect.equal (str root "version") "v2.0" "SQuAD version"
    [ for a in root.GetProperty("data").EnumerateArray() do
        let title = str a "title"
        for p in a.GetProperty("paragraphs").EnumerateArray() do
            let context = str p "context"
            for q in p.GetProperty("qas").EnumerateArray() do
                { Title = title; Context = context; Id = str q "id"; Question = str q "question"
                  Answers = [ for x in q.GetProperty("answers").EnumerateArray() -> str x "text", x.GetProperty("answer_start").GetInt32() ]
                  Impossible = q.GetProperty("is_impossible").GetBoolean() } ]

let qaRows () =
    let dir, _ = qa ()
    [ for s in [ "train"; "val"; "test" ] do yield! readSquad (Path.Combine(dir, $"{s}.json")) ]

let readJsonl (path: string) =
    [ for l in lines path do
        use d = JsonDocument.Parse l
        let r = d.RootElement
        yield str r "id", str r "document", str r "summary" ]

let words (s: string) = NotebookSlm.Data.DataFormats.Words s

/// Examples in a split file, counted the way its format defines them.
let countExamples (recipe: string) (path: string) =
    match recipe with
    | "qa-local" -> (readSquad path).Length
    | "essay-local" -> (parseCsv (File.ReadAllText path)).Length - 1
    | _ -> (lines path).Length

/// Every split file's bytes (manifest.json excluded: it records the build time).
let splitBytes (dir: string) =
    Directory.GetFiles dir |> Array.filter (fun f -> Path.GetFileName f <> Manifest.FileName)
    |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b)) |> Array.map (fun f -> Path.GetFileName f, File.ReadAllBytes f)

/// Which split each item is in: items are read by the recipe-specific reader.
let membership (recipe: string) (dir: string) =
    match recipe with
    | "qa-local" -> [ for s in [ "train"; "val"; "test" ] do for r in readSquad (Path.Combine(dir, $"{s}.json")) -> r.Title, s ] |> Set.ofList
    | "sum-local" -> [ for s in [ "train"; "val"; "test" ] do for (id, _, _) in readJsonl (Path.Combine(dir, $"{s}.jsonl")) -> id, s ] |> Set.ofList
    | "code-local" -> [ for s in [ "train"; "valid"; "test" ] do for l in lines (Path.Combine(dir, $"{s}.java-cs.txt.java")) -> l, s ] |> Set.ofList
    | _ -> [ for s in [ "train"; "val"; "test" ] do for r in (parseCsv (File.ReadAllText(Path.Combine(dir, $"{s}.csv")))).Tail -> r.Head, s ] |> Set.ofList

let translate (java: string) = JavaToCSharp.Translate java

/// One rule, one test: the Java method and the C# the rules must give.
let rule (name: string) (java: string) (expected: string) =
    test $"rule: {name}" {
        let r = translate java
        Expect.isNull r.Refused $"refused: {r.Refused}"
        Expect.equal r.CSharp expected java
    }

/// One refusal, one test: the method is skipped with this reason category.
let refused (name: string) (java: string) (category: string) =
    test $"refusal: {name}" {
        let r = translate java
        Expect.isNull r.CSharp $"translated to {r.CSharp}"
        Expect.stringStarts r.Refused category java
    }

let recipes : ICorpusRecipe list = [ QaLocal(); SumLocal(); CodeLocal(); EssayLocal() ]

// ---------------------------------------------------------------- tests

[<Tests>]
let tests =
    testList "Task corpora" [
        // ---------------- shared: manifests, determinism, splits
        test "every manifest's split counts equal the files' counts and its sha256 values match the files" {
            for r in recipes do
                let dir, m = get r
                let onDisk = Manifest.Read dir
                Expect.equal onDisk.Name r.Name "manifest name"
                Expect.isGreaterThan m.Splits.Count 2 $"{r.Name}: splits"
                for KeyValue(name, s) in m.Splits do
                    let path = Path.Combine(dir, s.File)
                    Expect.equal (Splits.Sha256File path) s.Sha256 $"{r.Name} {name}: sha256"
                    Expect.equal (int64 (countExamples r.Name path)) s.Examples $"{r.Name} {name}: examples"
                Expect.isNonEmpty m.Sources $"{r.Name}: sources"
                Expect.isNonEmpty m.Labels $"{r.Name}: labels"
                Expect.equal m.Recipe r.Description $"{r.Name}: recipe text"
        }

        test "a rebuild with the same seed writes byte-identical files" {
            for r in recipes do
                let first, _ = get r
                let again, _ = build r 1
                let a, b = splitBytes first, splitBytes again
                Expect.equal (Array.map fst a) (Array.map fst b) $"{r.Name}: file names"
                for ((name, x), (_, y)) in Array.zip a b do Expect.isTrue (x = y) $"{r.Name}: {name} differs between two builds with one seed"
                Directory.Delete(again, true)
        }

        test "another seed moves items to other splits" {
            for r in recipes do
                let dir, _ = get r
                let before = membership r.Name dir
                let moved =
                    seq { 2 .. 60 } |> Seq.tryPick (fun seed ->
                        let d, _ = build r seed
                        let after = membership r.Name d
                        Directory.Delete(d, true)
                        Expect.equal (Set.map fst after) (Set.map fst before) $"{r.Name}: the same items under seed {seed}"
                        if after <> before then Some seed else None)
                Expect.isSome moved $"{r.Name}: no seed in 2..60 changed any split"
        }

        test "Scale keeps a deterministic subset, the same for every seed, and rejects values outside (0, 1]" {
            let keys = [ for i in 0 .. 1999 -> $"item/{i}" ]
            let half = keys |> List.filter (fun k -> TaskCorpusSupport.Keep(k, 0.5))
            Expect.isTrue (half.Length > 850 && half.Length < 1150) $"about half kept: {half.Length}"
            Expect.equal (keys |> List.filter (fun k -> TaskCorpusSupport.Keep(k, 0.5))) half "same subset twice"
            Expect.isTrue (keys |> List.forall (fun k -> TaskCorpusSupport.Keep(k, 1.0))) "scale 1 keeps everything"
            let small = keys |> List.filter (fun k -> TaskCorpusSupport.Keep(k, 0.1))
            Expect.isTrue (small |> List.forall (fun k -> List.contains k half)) "a smaller scale keeps a subset"
            let recipe = QaLocal()
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> recipe.Build(BuildContext(tempDir "scale", raw (), 1, ignore, Scale = 0.0)) |> ignore) "scale 0"
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> recipe.Build(BuildContext(tempDir "scale", raw (), 1, ignore, Scale = 1.5)) |> ignore) "scale 1.5"
        }

        test "a build at a small scale keeps fewer items, all of them items of the full build" {
            let full = membership "sum-local" (fst (sum ())) |> Set.map fst
            let dir = tempDir "sum-scale"
            SumLocal().Build(BuildContext(dir, raw (), 1, ignore, Scale = 0.5)) |> ignore
            let part = membership "sum-local" dir |> Set.map fst
            Expect.isTrue (part.Count < full.Count) $"fewer: {part.Count} of {full.Count}"
            Expect.isTrue (Set.isSubset part full) "a subset of the full build"
        }

        // ---------------- qa-local
        test "qa-local answers are exact spans of their contexts and unanswerable questions have none" {
            let rows = qaRows ()
            Expect.isGreaterThan rows.Length 40 "questions on the fixtures"
            for r in rows do
                if r.Impossible then Expect.isEmpty r.Answers $"{r.Id}: unanswerable with answers"
                else
                    Expect.equal r.Answers.Length 1 $"{r.Id}: one answer"
                    for (text, start) in r.Answers do
                        Expect.isTrue (start >= 0 && start + text.Length <= r.Context.Length) $"{r.Id}: span inside the context"
                        Expect.equal (r.Context.Substring(start, text.Length)) text $"{r.Id}: exact span"
            let ids = rows |> List.map (fun r -> r.Id)
            Expect.equal (List.distinct ids).Length ids.Length "ids are unique"
        }

        test "qa-local asks every template answerable and unanswerable questions, about a third unanswerable" {
            let rows = qaRows ()
            for template in [ "wn-def"; "wn-mean"; "man-cloze"; "sotu-cloze" ] do
                let mine = rows |> List.filter (fun r -> r.Id.StartsWith(template + "-"))
                Expect.exists mine (fun r -> not r.Impossible) $"{template}: an answerable question"
                Expect.exists mine (fun r -> r.Impossible) $"{template}: an unanswerable question"
                for r in mine do Expect.isMatch r.Id $"^{template}-\\d{{6}}$" "id records the template"
            let share = float (rows |> List.filter (fun r -> r.Impossible) |> List.length) / float rows.Length
            Expect.isTrue (share > 0.25 && share < 0.45) $"unanswerable share {share}"
            let _, m = qa ()
            Expect.equal m.Counts["unanswerable"] (int64 (rows |> List.filter (fun r -> r.Impossible) |> List.length)) "manifest counts unanswerable"
        }

        test "an unanswerable question's source text is not in the paragraph it is asked of" {
            for r in qaRows () |> List.filter (fun r -> r.Impossible) do
                let q = r.Question
                let quoted = q.Substring(q.IndexOf('"') + 1, q.LastIndexOf('"') - q.IndexOf('"') - 1)
                if r.Id.StartsWith "wn-def" then Expect.isFalse (r.Context.Contains quoted) $"{r.Id}: the definition is in the context"
                if r.Id.Contains "cloze" then
                    for piece in quoted.Split(QaTemplates.Blank) do
                        if piece.Length >= 25 then Expect.isFalse (r.Context.Contains piece) $"{r.Id}: the sentence is in the context"
        }

        test "glossary paragraphs put each lemma and definition where the candidates say, and skip ambiguous lemmas" {
            let syn (lemmas: string[]) def = Synset("00000000", "noun.animal", 'n', lemmas, def, "data.noun", 1L)
            let struct (context, cands) =
                QaTemplates.Glossary([| syn [| "pacer" |] "a horse trained to a special gait"; syn [| "pacer" |] "a horse used to set the pace"
                                        syn [| "bay"; "bay horse" |] "a horse of a moderate reddish-brown color" |])
            Expect.equal context "pacer: a horse trained to a special gait. pacer: a horse used to set the pace. bay, bay horse: a horse of a moderate reddish-brown color." "context"
            Expect.equal (cands |> Seq.map (fun c -> c.Template) |> List.ofSeq) [ "wn-def"; "wn-mean" ] "only the unambiguous entry"
            for c in cands do Expect.equal (context.Substring(c.Start, c.Answer.Length)) c.Answer c.Template
            Expect.equal (cands |> Seq.head).Question "What is defined as \"a horse of a moderate reddish-brown color\"?" "wn-def question"
        }

        test "cloze candidates blank a year, a number, a name, an option or the command, once in their sentence" {
            let text = "In 1990 the tool gained the --quiet flag. It reads 42 files from Boston by default. The ls command lists ls output twice."
            let c = QaTemplates.Cloze(text, "man-cloze", "ls", true)
            let byKind = c |> Seq.map (fun x -> x.Question.Split(' ').[1], x.Answer) |> List.ofSeq
            Expect.contains byKind ("year", "1990") "year"
            Expect.contains byKind ("option", "--quiet") "option"
            Expect.contains byKind ("number", "42") "number"
            Expect.contains byKind ("name", "Boston") "name after a lower-case word"
            Expect.isFalse (byKind |> List.exists (fun (_, a) -> a = "ls")) "ls occurs twice in its sentence: no blank"
            for x in c do
                Expect.equal (text.Substring(x.Start, x.Answer.Length)) x.Answer "span"
                Expect.stringContains x.Question QaTemplates.Blank "blank in the question"
                Expect.isFalse (x.Question.Contains(" " + x.Answer + " ")) "answer removed from the question"
        }

        test "sentences split at terminal punctuation but not after abbreviations or initials" {
            let s = List.ofSeq (Sentences.Split "Mr. Smith went to the U.S. capital. He met J. Doe there! Did it rain? Yes, e.g. Monday was wet.")
            Expect.equal s [ "Mr. Smith went to the U.S. capital."; "He met J. Doe there!"; "Did it rain?"; "Yes, e.g. Monday was wet." ] "sentences"
        }

        test "sentences group into paragraphs of at least the minimum, a short tail joining the last" {
            let sentence n = "Word " + String.Join(" ", Array.create (n - 2) "word") + " end."
            let text = String.Join(" ", [ sentence 60; sentence 60; sentence 30; sentence 80; sentence 20 ])
            let groups = Sentences.Group(text, 100) |> List.ofSeq
            Expect.equal (groups |> List.map words) [ 120; 130 ] "120 words, then 110 plus a 20-word tail"
            Expect.equal (String.Join(" ", groups)) text "nothing lost or reordered"
        }

        testProperty "sentence spans cover every non-space character in order" <| fun (parts: char list list) ->
            let text = String.Join(". ", parts |> List.map (fun p -> String(Array.ofList p)))
            let spans = Sentences.Spans text
            let covered = String.Join("", spans |> Seq.map (fun struct (s, l) -> text.Substring(s, l))) |> String.filter (Char.IsWhiteSpace >> not)
            covered = (text |> String.filter (Char.IsWhiteSpace >> not))

        test "WordNet lines parse into lemmas and the definition before the examples; a malformed line names file, line and field" {
            let s = WordNetData.ParseLine("00021110 00 s 02 complaisant 0 obliging(a) 0 003 & 00020787 a 0000 | showing a cheerful willingness to do favors for others; \"the obliging waiter\"  ", "data.adj", 7L)
            Expect.equal (List.ofSeq s.Lemmas) [ "complaisant"; "obliging" ] "lemmas, marker removed"
            Expect.equal s.Definition "showing a cheerful willingness to do favors for others" "definition"
            Expect.equal s.LexFile "adj.all" "lexicographer file"
            expectError<DataFormatException> (fun () -> WordNetData.ParseLine("00021110 00 s 0x word 0 | gloss", "data.adj", 9L) |> ignore) [ "data.adj:9"; "w_cnt" ]
            expectError<DataFormatException> (fun () -> WordNetData.ParseLine("00021110 00 s 01 word 0 000", "data.adj", 3L) |> ignore) [ "data.adj:3"; "gloss" ]
        }

        test "a recipe whose raw source is missing says which folder or file it looked for" {
            let missing = Path.Combine(tempDir "missing", "nothing-here")
            let ctx (sources: RawSources) = BuildContext(tempDir "missing-out", sources, 1, ignore)
            expectError<DirectoryNotFoundException> (fun () -> SumLocal().Build(ctx (RawSources(ManPages = missing, AppStream = Path.Combine(fixtures, "appstream")))) |> ignore) [ missing; "man pages" ]
            expectError<FileNotFoundException> (fun () -> SumLocal().Build(ctx (RawSources(ManPages = Path.Combine(fixtures, "man"), AppStream = Path.Combine(fixtures, "man")))) |> ignore) [ "Components" ]
            expectError<FileNotFoundException> (fun () -> CodeLocal().Build(ctx (RawSources(JdkSourceZip = missing))) |> ignore) [ missing; "openjdk-17-source" ]
            expectError<FileNotFoundException> (fun () -> QaLocal().Build(ctx (RawSources(WordNet = missing))) |> ignore) [ missing; "wordnet" ]
            expectError<DirectoryNotFoundException> (fun () -> EssayLocal().Build(ctx (RawSources(NpmRoot = missing))) |> ignore) [ missing; "datasets-sotu" ]
        }

        test "a State of the Union file without a text names the file and the field" {
            let dir = tempDir "sotu-bad"
            let path = Path.Combine(dir, "1790_x.json")
            File.WriteAllText(path, """{"year": 1790, "name": "George Washington", "party": "none"}""")
            expectError<DataFormatException> (fun () -> SotuSpeeches.Read path |> ignore) [ path; "text"; "non-empty string" ]
        }

        // ---------------- sum-local
        test "sum-local documents and summaries meet the filters, with ids from both sources" {
            let dir, _ = sum ()
            let rows = [ for s in [ "train"; "val"; "test" ] do yield! readJsonl (Path.Combine(dir, $"{s}.jsonl")) ]
            Expect.isGreaterThan rows.Length 4 "examples"
            for (id, doc, summary) in rows do
                Expect.isGreaterThanOrEqual (words doc) SumLocal.MinDocumentWords $"{id}: document words"
                Expect.isTrue (words summary >= 3 && words summary <= 30) $"{id}: summary words"
                Expect.isNull (SumLocal.Reject(doc, summary)) $"{id}: passes the filter"
                Expect.isTrue (id.StartsWith "man/" || id.StartsWith "appstream/") $"{id}: id prefix"
            Expect.exists rows (fun (id, _, _) -> id = "man/libc.7") "man page id is man/<page>.<section>"
            Expect.exists rows (fun (id, _, s) -> id = "appstream/io.github.antimicrox.antimicrox" && s = "Graphical program used to map gamepad buttons to keyboard, mouse, scripts and macros") "AppStream summary"
            let ids = rows |> List.map (fun (id, _, _) -> id)
            Expect.equal (List.distinct ids).Length ids.Length "unique ids"
        }

        test "sum-local counts each filtered pair under its reason" {
            let _, m = sum ()
            for reason in [ "man: document under 30 words"; "man: summary inside first sentence"; "man: summary not 3-30 words"
                            "man: redirection or no sections"; "appstream: no Summary or Description"; "appstream: document under 30 words"
                            "appstream: summary inside first sentence"; "appstream: summary not 3-30 words" ] do
                Expect.isTrue (m.Removed.ContainsKey reason && m.Removed[reason] > 0L) $"Removed has {reason}"
            Expect.equal (m.Counts["man"] + m.Counts["appstream"]) m.Counts["examples"] "per-source counts add up"
        }

        test "the summarisation filter rejects short documents, summaries outside 3-30 words and copied first sentences" {
            let doc = String.Join(" ", Array.create 40 "word") + ". Second sentence here."
            Expect.equal (SumLocal.Reject("too short a document", "a fine summary here")) "document under 30 words" "short document"
            Expect.equal (SumLocal.Reject(doc, "two words")) "summary not 3-30 words" "short summary"
            Expect.equal (SumLocal.Reject(doc, String.Join(" ", Array.create 31 "w"))) "summary not 3-30 words" "long summary"
            Expect.equal (SumLocal.Reject("List directory contents of every FILE given. " + doc, "list directory contents")) "summary inside first sentence" "copied"
            Expect.equal (SumLocal.Reject(doc, "manual page for clang-rename 14")) "placeholder summary (help2man)" "help2man placeholder"
            Expect.isNull (SumLocal.Reject(doc, "a summary of three")) "kept"
            Expect.equal (SumLocal.NameDescription "ls, dir - list directory contents") "list directory contents" "NAME line"
            Expect.isNull (SumLocal.NameDescription "ls") "no separator"
        }

        test "gcloud alpha and beta pages are left out as copies of their GA page" {
            Expect.isTrue (TaskCorpusSupport.IsPreviewCopy "gcloud_alpha_compute_images.1") "alpha"
            Expect.isTrue (TaskCorpusSupport.IsPreviewCopy "gcloud_beta_compute_images.1") "beta"
            Expect.isFalse (TaskCorpusSupport.IsPreviewCopy "gcloud_compute_images.1") "GA"
            Expect.equal (TaskCorpusSupport.ManPageName "/usr/share/man/man1/ls.1.gz") "ls.1" "page name"
        }

        test "DEP-11 scalars: double-quoted with escapes and folded lines, single-quoted, folded blocks; the header is skipped" {
            let dir = tempDir "dep11"
            let path = Path.Combine(dir, "x_dep11_Components-amd64.yml")
            let yaml =
                "---\nFile: DEP-11\nTime: 20230609T082314\n---\nType: desktop-application\nID: a.b\nPackage: p\nSummary:\n  de: Zusammenfassung\n  C: 'It''s a\n    summary'\n"
                + "Description:\n  C: \"<p>One \\\"two\\\"\\n three\n    four\\u00e9 fi\\\n    ve</p>\"\n---\nID: c.d\nSummary:\n  C: plain\n    continued\nDescription:\n  C: >-\n    <p>first\n    line</p>\n\n    <p>second</p>\n"
            File.WriteAllText(path, yaml)
            let cs = Dep11.Read path |> List.ofSeq
            Expect.equal cs.Length 2 "two components"
            Expect.equal cs[0].Summary "It's a summary" "single-quoted, folded"
            Expect.equal cs[0].Description "<p>One \"two\"\n three four\u00e9 five</p>" "double-quoted escapes and folding"
            Expect.equal cs[1].Summary "plain continued" "plain, folded"
            Expect.equal cs[1].Description "<p>first line</p>\n<p>second</p>" "folded block, stripped"
            Expect.equal (SumLocal.DescriptionText(string cs[1].Description)) "first line\nsecond" "HTML paragraphs to lines"
            Expect.equal (Dep11.HeaderTime path) "20230609T082314" "header time"
        }

        test "a DEP-11 component with an unterminated quote or without an ID names the file and the line" {
            let dir = tempDir "dep11-bad"
            let path = Path.Combine(dir, "bad.yml")
            File.WriteAllText(path, "---\nID: a\nSummary:\n  C: \"open\n---\nType: addon\n")
            expectError<DataFormatException> (fun () -> Dep11.Read path |> List.ofSeq |> ignore) [ path + ":4"; "scalar"; "unterminated" ]
            File.WriteAllText(path, "---\nType: addon\nPackage: p\n")
            expectError<DataFormatException> (fun () -> Dep11.Read path |> List.ofSeq |> ignore) [ path + ":2"; "ID" ]
        }

        test "HTML prose keeps headings and paragraphs and drops code, asides, navigation and list fragments" {
            let html =
                "<html><head><title>T &amp; U</title></head><body><div class=\"docnav\"><p>Prev</p></div>"
                + "<h2>6.2.&nbsp;Title<a class=\"headerlink\">¶</a></h2><p>One &lt;two&gt;\n  three.</p><pre>code()</pre>"
                + "<div class=\"para\">Para <code>cmd</code> text.<div class=\"itemizedlist\"><ul><li>item</li></ul></div></div>"
                + "<div class=\"sidebar\"><p>aside</p></div><ul><li><p>fragment</p></li></ul><p>Last<br/>line</p></body></html>"
            let blocks = HtmlText.Blocks html |> List.ofSeq
            Expect.equal blocks [ HtmlBlock(true, 2, "6.2. Title"); HtmlBlock(false, 0, "One <two> three."); HtmlBlock(false, 0, "Para cmd text.")
                                  HtmlBlock(false, 0, "Last line") ] "blocks"
            Expect.equal (HtmlText.Title html) "T & U" "title"
            let items = HtmlText.Blocks("<p>Intro:</p><ul><li>one</li><li>two</li></ul>", true) |> Seq.map (fun b -> b.Text) |> List.ofSeq
            Expect.equal items [ "Intro:"; "one"; "two" ] "list items as paragraphs when asked"
        }

        // ---------------- code-local
        test "code-local writes CodeXGLUE file pairs with one method a line and matching line counts" {
            let dir, m = code ()
            let mutable total = 0
            for stem in [ "train"; "valid"; "test" ] do
                let j = lines (Path.Combine(dir, $"{stem}.java-cs.txt.java"))
                let c = lines (Path.Combine(dir, $"{stem}.java-cs.txt.cs"))
                Expect.equal c.Length j.Length $"{stem}: line counts"
                total <- total + j.Length
                for l in Array.append j c do
                    Expect.isFalse (String.IsNullOrWhiteSpace l) "no empty line"
                    Expect.isFalse (l.Contains "  " || l.Contains '\t') "whitespace collapsed"
                for (java, cs) in Array.zip j c do
                    Expect.isTrue (java.Contains "{" && cs.Contains "{") "a method with a body on each side"
                    Expect.equal (Option.ofObj (translate java).CSharp) (Some cs) "the C# line is the rule translation of the Java line"
            Expect.equal (int64 total) m.Counts["pairs"] "manifest pairs"
            Expect.isGreaterThan total 10 "pairs from the fixture files"
            Expect.contains m.Labels "rule-translated C#" "labelled rule-translated"
            Expect.stringContains m.Recipe "rule-translated" "described as rule-translated"
        }

        test "code-local skips the methods with lambdas and counts them under their reason" {
            let dir, m = code ()
            Expect.isTrue (m.Removed.ContainsKey "untranslatable: lambda" && m.Removed["untranslatable: lambda"] >= 2L) "lambdas counted"
            let java = [ for s in [ "train"; "valid"; "test" ] do yield! lines (Path.Combine(dir, $"{s}.java-cs.txt.java")) ]
            Expect.isFalse (java |> List.exists (fun l -> l.Contains "->")) "no lambda in the Java side"
            Expect.exists java (fun l -> l.StartsWith "public boolean isUnderflow()") "a CoderResult method without lambdas is kept"
        }

        test "methods are found in classes, nested classes and after enum constants; constructors, fields and abstract methods are not" {
            let src = """
package p;
@SuppressWarnings("x")
public class A<T> {
    static final int[] TABLE = { 1, 2 };
    private final Runnable r = new Runnable() { public void run() { } };
    public A() { }
    abstract int size();
    @Override
    public String toString() {
        return "A";
    }
    static { init(); }
    class Inner {
        int twice(int x) { return 2 * x; }
    }
    enum E { X(1) { int f() { return 1; } }, Y(2); E(int v) { } int code() { return 0; } }
    @interface Marker { int value() default 0; }
    <U> U pick(U u) { return u; }
}
"""
            let ms = JavaMethods.Extract(src, "A.java")
            Expect.equal [ for m in ms -> m.TypeName + "." + m.Name ] [ "A.toString"; "A.Inner.twice"; "A.E.code"; "A.pick" ] "methods"
            let ts = ms |> Seq.head
            Expect.equal (ts.StartLine, ts.EndLine, ts.Lines) (9, 12, 4) "lines from the annotation to the closing brace"
            Expect.equal ts.OneLine "@Override public String toString() { return \"A\"; }" "one line, whitespace collapsed"
        }

        test "the Java lexer drops comments, keeps literals whole and names the file and line of an unterminated comment" {
            let t = JavaLexer.Lex("int a = 0x1F_FFL; /* c */ String s = \"a // b\"; char c = '\\''; // end\nx >>>= 2;", "X.java")
            Expect.equal [ for x in t -> x.Text ] [ "int"; "a"; "="; "0x1F_FFL"; ";"; "String"; "s"; "="; "\"a // b\""; ";"; "char"; "c"; "="; "'\\''"; ";"; "x"; ">>>="; "2"; ";" ] "tokens"
            Expect.equal (t |> Seq.last).Line 2 "line numbers"
            expectError<DataFormatException> (fun () -> JavaLexer.Lex("int a;\n/* open", "Y.java") |> ignore) [ "Y.java:2"; "comment" ]
        }

        rule "boolean, String and Object become bool, string and object" "public boolean same(String a, Object b) { return a == b; }" "public bool Same(string a, object b) { return a == b; }"
        rule "byte becomes sbyte (Java bytes are signed)" "byte low(int x) { return (byte) x; }" "sbyte Low(int x) { return (sbyte) x; }"
        rule "final is dropped from parameters and locals" "int f(final int a) { final int b = a; return b; }" "int F(int a) { int b = a; return b; }"
        rule "instanceof becomes is" "boolean isText(Object o) { return o instanceof String; }" "bool IsText(object o) { return o is string; }"
        rule ".length on arrays becomes .Length" "int n(int[] a) { return a.length; }" "int N(int[] a) { return a.Length; }"
        rule ".length() becomes .Length" "int n(String s) { return s.length(); }" "int N(string s) { return s.Length; }"
        rule ".size() becomes .Count" "int n(List<String> xs) { return xs.size(); }" "int N(IList<string> xs) { return xs.Count; }"
        rule ".equals( becomes .Equals(" "boolean eq(String a, String b) { return a.equals(b); }" "bool Eq(string a, string b) { return a.Equals(b); }"
        rule ".charAt(i) becomes [i]" "char at(String s, int i) { return s.charAt(i + 1); }" "char At(string s, int i) { return s[i + 1]; }"
        rule ".substring(a, b) becomes .Substring(a, b - a)" "String mid(String s, int i, int j) { return s.substring(i + 1, j); }" "string Mid(string s, int i, int j) { return s.Substring(i + 1, j - (i + 1)); }"
        rule ".substring(a) becomes .Substring(a)" "String tail(String s) { return s.substring(2); }" "string Tail(string s) { return s.Substring(2); }"
        rule "System.arraycopy becomes Array.Copy" "void copy(int[] a, int[] b) { System.arraycopy(a, 0, b, 1, 2); }" "void Copy(int[] a, int[] b) { Array.Copy(a, 0, b, 1, 2); }"
        rule "Integer.MAX_VALUE becomes int.MaxValue" "int big() { return Integer.MAX_VALUE - Long.MIN_VALUE; }" "int Big() { return int.MaxValue - long.MinValue; }"
        rule "Math and Character statics map to .NET" "int f(char c) { return Character.isDigit(c) ? Math.max(1, 2) : 0; }" "int F(char c) { return char.IsDigit(c) ? Math.Max(1, 2) : 0; }"
        rule "throw new IllegalArgumentException becomes ArgumentException" "void check(int x) { if (x < 0) throw new IllegalArgumentException(\"x\"); }" "void Check(int x) { if (x < 0) throw new ArgumentException(\"x\"); }"
        rule "exceptions in catch clauses map too" "void f() { try { g(); } catch (IndexOutOfBoundsException e) { h(); } }" "void F() { try { G(); } catch (IndexOutOfRangeException e) { H(); } }"
        rule "method names are PascalCased at the declaration and at every call" "void runAll() { this.stepOne(); stepTwo(x.next()); }" "void RunAll() { this.StepOne(); StepTwo(x.Next()); }"
        rule "@Override on toString becomes override" "@Override public String toString() { return name; }" "public override string ToString() { return name; }"
        rule "@Override on equals(Object) and hashCode() becomes override, hashCode becomes GetHashCode" "@Override public int hashCode() { return x.hashCode(); }" "public override int GetHashCode() { return x.GetHashCode(); }"
        rule "@Override elsewhere and other annotations are dropped" "@Override @SuppressWarnings(\"unchecked\") public int size() { @SuppressWarnings(\"x\") int n = count; return n; }" "public int Size() { int n = count; return n; }"
        rule "@Deprecated becomes [Obsolete]" "@Deprecated public void old() { }" "[Obsolete] public void Old() { }"
        rule "synchronized blocks become lock" "void inc() { synchronized (this) { count++; } }" "void Inc() { lock (this) { count++; } }"
        rule "synchronized methods get MethodImplOptions.Synchronized" "public synchronized void inc() { count++; }" "[MethodImpl(MethodImplOptions.Synchronized)] public void Inc() { count++; }"
        rule "for-each becomes foreach ... in" "int sum(int[] a) { int s = 0; for (int x : a) s += x; return s; }" "int Sum(int[] a) { int s = 0; foreach (int x in a) s += x; return s; }"
        rule "varargs become params arrays" "int count(String... xs) { return xs.length; }" "int Count(params string[] xs) { return xs.Length; }"
        rule "type parameters move after the name and throws clauses go" "public <T> T first(T a, T b) throws IOException { return a; }" "public T First<T>(T a, T b) { return a; }"
        rule "boxed type arguments become primitives" "Map<String, Integer> m(Map<String, Integer> x) { return x; }" "IDictionary<string, int> M(IDictionary<string, int> x) { return x; }"
        rule "assert becomes Debug.Assert" "void f(int x) { assert x > 0 : \"neg\"; assert x < 9; }" "void F(int x) { Debug.Assert(x > 0, \"neg\"); Debug.Assert(x < 9); }"
        rule "super. becomes base." "int f() { return super.f() + 1; }" "int F() { return base.F() + 1; }"
        rule "C# keywords used as Java identifiers get @" "int f(int in, Object lock) { return in; }" "int F(int @in, object @lock) { return @in; }"
        rule "C-style array declarators move to the type" "void write(char cbuf[], int off) { int buf[] = cbuf; }" "void Write(char[] cbuf, int off) { int[] buf = cbuf; }"
        rule "literals: long suffix l, trailing-dot doubles, hex beyond the signed range" "long f() { return 1l + (long) 2. + 0xFFFFFFFF + 0x8000000000000000L; }" "long F() { return 1L + (long) 2.0 + unchecked((int)0xFFFFFFFF) + unchecked((long)0x8000000000000000UL); }"
        rule "Objects.requireNonNull becomes a throw expression" "Object f(Object o) { return Objects.requireNonNull(o, \"o\"); }" "object F(object o) { return (o ?? throw new NullReferenceException(\"o\")); }"
        rule "Arrays.fill with two arguments becomes Array.Fill" "void clear(int[] a) { Arrays.fill(a, 0); }" "void Clear(int[] a) { Array.Fill(a, 0); }"

        refused "lambdas" "void f() { run(() -> go()); }" "lambda"
        refused "method references" "void f() { xs.forEach(this::go); }" "method reference"
        refused "switch (fall-through rules differ)" "int f(int x) { switch (x) { case 1: return 2; default: return 0; } }" "switch"
        refused "anonymous classes" "Object f() { return new Object() { public String toString() { return \"\"; } }; }" "anonymous class"
        refused "generic wildcards" "int f(List<? extends Number> xs) { return 0; }" "generic wildcard"
        refused "diamonds (C# needs the type arguments)" "void f() { xs = new ArrayList<>(); }" "diamond"
        refused "labels and labeled jumps" "void f() { outer: for (;;) { break outer; } }" "label"
        refused "octal literals (C# reads them as decimal)" "int f() { return 017; }" "octal literal"
        refused "Java-only library types" "void f(Iterator<String> it) { it.next(); }" "java-only api"
        refused "library members without a same-meaning counterpart" "long f(double d) { return Math.round(d); }" "unmapped library member"
        refused "exceptions without a counterpart" "void f() { throw new DateTimeException(\"x\"); }" "unmapped exception"
        refused "boxed types outside type arguments" "Integer f(Integer x) { return x; }" "boxed type"
        refused "a C-style array declarator in a declarator list" "void f() { int a[] = null, b = 0; }" "C-style array declarator list"
        refused "try-with-resources" "void f() { try (Reader r = open()) { r.read(); } }" "try-with-resources"
        refused "interface default methods" "default int f() { return 0; }" "interface default method"
        refused "class literals" "Object f() { return String.class; }" "class literal"
        refused "calls whose C# form depends on the receiver's type" "boolean f(String s) { return s.isEmpty(); }" "type-dependent call"

        // ---------------- essay-local
        test "essay-local CSV has the IELTS header, RFC 4180 quoting, an empty band and State of the Union prompts" {
            let dir, _ = essay ()
            let all =
                [ for s in [ "train"; "val"; "test" ] do
                    let rows = parseCsv (File.ReadAllText(Path.Combine(dir, $"{s}.csv")))
                    Expect.equal rows.Head [ "prompt"; "essay"; "band" ] $"{s}: header"
                    yield! rows.Tail ]
            for r in all do
                Expect.equal r.Length 3 "three fields"
                Expect.equal r[2] "" "band left empty"
            let sotu = all |> List.filter (fun r -> r[0].StartsWith "State of the Union, ")
            Expect.equal (sotu |> List.map (fun r -> r[0]) |> List.sort)
                [ "State of the Union, 1790, George Washington"; "State of the Union, 1862, Abraham Lincoln"; "State of the Union, 2021, Joseph R Biden" ] "prompts"
            for r in sotu do
                let w = words r[1]
                Expect.isTrue (w >= EssayLocal.MinWords && w <= EssayLocal.MaxWords) $"{r[0]}: {w} words"
                Expect.isTrue (".!?\"”)".Contains(r[1].[r[1].Length - 1])) $"{r[0]}: cut at a sentence end"
            Expect.exists all (fun r -> r[0] = "The Debian Administrator's Handbook: aptitude, apt-get, and apt Commands") "handbook prompt without its number"
            Expect.exists all (fun r -> r[0] = "Python documentation, Annotations Best Practices: Accessing The Annotations Dict Of An Object In Python 3.10 And Newer") "Python prompt"
            for r in all |> List.filter (fun r -> not (r[0].StartsWith "State")) do
                Expect.isTrue (words r[1] >= EssayLocal.MinSectionWords && words r[1] <= EssayLocal.MaxWords) $"{r[0]}: words"
        }

        test "CSV fields are quoted only when they hold a comma, a quote or a line break" {
            Expect.equal (EssayLocal.CsvField "plain") "plain" "plain"
            Expect.equal (EssayLocal.CsvField "a, b") "\"a, b\"" "comma"
            Expect.equal (EssayLocal.CsvField "say \"hi\"") "\"say \"\"hi\"\"\"" "quotes doubled"
            Expect.equal (EssayLocal.CsvField "one\n\ntwo") "\"one\n\ntwo\"" "line breaks"
            Expect.equal (EssayLocal.CsvRow("State of the Union, 1790, George Washington", "Text.")) "\"State of the Union, 1790, George Washington\",Text.," "row with empty band"
        }

        testProperty "a CSV row parses back into its prompt, essay and empty band" <| fun (p: char list) (e: char list) ->
            let clean (s: char list) = String(s |> List.filter (fun c -> c <> '\r') |> Array.ofList)
            let prompt, text = clean p, clean e
            parseCsv (EssayLocal.CsvRow(prompt, text) + "\n") = [ [ prompt; text; "" ] ]

        test "State of the Union addresses are split every tenth year: one final digit to val, the digit five on to test" {
            for seed in [ 1; 2; 3; 77 ] do
                let years = [ 1790 .. 2021 ]
                let split y = EssayLocal.SotuSplit(y, seed)
                for y in years do Expect.equal (split y) (split (1790 + (y - 1790) % 10)) $"seed {seed}: {y} follows its final digit"
                let valDigit = [ 0 .. 9 ] |> List.filter (fun d -> split (1790 + d) = "val")
                let testDigit = [ 0 .. 9 ] |> List.filter (fun d -> split (1790 + d) = "test")
                Expect.equal valDigit.Length 1 "one val digit"
                Expect.equal testDigit.Length 1 "one test digit"
                Expect.equal ((valDigit.Head + 5) % 10) testDigit.Head "test digit is five on"
            Expect.isTrue ([ 1 .. 20 ] |> List.map (fun s -> EssayLocal.SotuSplit(1790, s)) |> List.distinct |> List.length > 1) "the seed moves the digits"
        }

        test "openings take whole paragraphs, then whole sentences, up to the word limits" {
            let sentence n = "Word " + String.Join(" ", Array.create (n - 2) "word") + " end."
            let p1 = String.Join(" ", [ for _ in 1 .. 10 -> sentence 10 ])          // 100 words
            let p2 = String.Join(" ", [ for _ in 1 .. 40 -> sentence 10 ])          // 400 words
            let o = Sentences.Opening([| p1; p2 |], 250, 400)
            Expect.equal (words o) 250 "stops at the first sentence end past 250 words"
            Expect.stringStarts o (p1 + "\n\n") "first paragraph whole, then a blank line"
            let long = sentence 500
            Expect.equal (Sentences.Opening([| long |], 250, 400)) long "a first sentence longer than the limit is kept whole"
        }

        testProperty "an opening never exceeds the maximum unless its first sentence does" <| fun (lengths: PositiveInt list) ->
            let text = String.Join(" ", lengths |> List.truncate 60 |> List.map (fun n -> "W" + String.replicate (min n.Get 60 - 1) " w" + "."))
            let o = Sentences.Opening([| text |], 250, 400)
            let first = match Sentences.Split text |> List.ofSeq with f :: _ -> words f | [] -> 0
            words o <= max 400 first
    ]
