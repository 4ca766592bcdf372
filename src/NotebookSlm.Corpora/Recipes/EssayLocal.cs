using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace NotebookSlm.Corpora;

/// <summary>
/// essay-local: an offline stand-in for the IELTS essay-writing task (prompt -> a long piece
/// of writing), in the IELTS CSV layout <c>prompt,essay,band</c> (RFC 4180 quoting, "\n" line
/// ends, band empty: nothing here is graded). All text is real and unedited; only the
/// prompt wording and the cut are ours:
/// <list type="bullet">
/// <item>State of the Union: "State of the Union, &lt;YEAR&gt;, &lt;PRESIDENT&gt;" -> the opening of
/// the address, whole sentences up to 250-400 words (the edition has no paragraph breaks).
/// Split by year with a seeded every-tenth-year rule: years ending in digit d go to val and
/// in d+5 to test, d drawn from the seed (so eras are spread over the splits);</item>
/// <item>The Debian Administrator's Handbook: "The Debian Administrator's Handbook: &lt;section
/// title&gt;" -> the section's opening prose paragraphs (before its first subsection);</item>
/// <item>Python 3.11 documentation (HOWTOs, tutorial, What's New): "Python documentation,
/// &lt;page&gt;: &lt;section&gt;" -> the section's opening prose paragraphs.</item>
/// </list>
/// Manual sections need at least 150 words of prose (paragraphs of 8+ words ending in '.',
/// '!' or '?'); they are cut like the addresses and split by a hash of (seed, page): val 5%,
/// test 5%. Duplicate prompts are dropped. Output: train.csv, val.csv, test.csv.
/// </summary>
public sealed partial class EssayLocal : ICorpusRecipe
{
    public const int MinWords = 250, MaxWords = 400, MinSectionWords = 150;
    public const string Header = "prompt,essay,band";
    static readonly string[] PythonFolders = ["howto", "tutorial", "whatsnew"];

    public string Name => "essay-local";
    public string Version => "1";
    public string Description =>
        "IELTS-style long-form writing stand-in (not IELTS; no band scores): prompt -> real opening text. State of the Union " +
        "addresses (\"State of the Union, YEAR, PRESIDENT\" -> first 250-400 words, split by year), Debian Administrator's " +
        "Handbook and Python 3.11 documentation sections (title -> opening prose, 150-400 words). Prompts are constructed, " +
        "texts are real and unedited.";
    public IReadOnlyList<string> AptPackages => ["debian-handbook", "python3.11-doc"];
    public IReadOnlyList<string> NpmPackages => [SotuSpeeches.NpmPackage];

    /// <summary>The split of an address: years ending in d go to val and in (d+5) mod 10 to
    /// test, d drawn from the seed; the rest to train.</summary>
    public static string SotuSplit(int year, int seed)
    {
        int d = (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"essay-local\u0001{seed}")), 0) % 10);
        int last = year % 10;
        return last == d ? "val" : last == (d + 5) % 10 ? "test" : "train";
    }

    /// <summary>One CSV field, quoted (and its quotes doubled) when it holds a comma, quote or line break.</summary>
    public static string CsvField(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";

    /// <summary>One CSV row (without its line end) of prompt, essay and an empty band.</summary>
    public static string CsvRow(string prompt, string essay) => $"{CsvField(prompt)},{CsvField(essay)},";

    /// <summary>Sections of a page: each heading with the prose paragraphs that follow it up to
    /// the next heading (paragraphs of 8+ words ending in '.', '!' or '?').</summary>
    public static List<(string Title, List<string> Paragraphs)> Sections(IEnumerable<HtmlBlock> blocks)
    {
        var sections = new List<(string, List<string>)>();
        foreach (var b in blocks)
        {
            if (b.IsHeading) { sections.Add((b.Text, [])); continue; }
            if (sections.Count == 0 || DataFormats.Words(b.Text) < 8) continue;
            var end = b.Text.TrimEnd('"', '\'', ')', '\u201d', '\u2019');
            if (end.Length > 0 && end[^1] is '.' or '!' or '?') sections[^1].Item2.Add(b.Text);
        }
        return sections;
    }

    public Manifest Build(BuildContext ctx)
    {
        var clock = Stopwatch.StartNew();
        TaskCorpusSupport.CheckScale(ctx.Scale);
        Directory.CreateDirectory(ctx.OutputDir);
        var removed = new TaskCounts();
        var counts = new TaskCounts();
        var rows = new Dictionary<string, List<string>> { ["train"] = [Header], ["val"] = [Header], ["test"] = [Header] };
        var prompts = new HashSet<string>(StringComparer.Ordinal);
        var words = new Dictionary<string, List<int>>(StringComparer.Ordinal);

        void Add(string source, string split, string prompt, string essay)
        {
            if (!prompts.Add(prompt)) { removed.Bump($"{source}: duplicate prompt"); return; }
            rows[split].Add(CsvRow(prompt, essay));
            counts.Bump(source);
            (words.TryGetValue(source, out var l) ? l : words[source] = []).Add(DataFormats.Words(essay));
        }

        var sotuFiles = SotuSpeeches.Files(ctx.Sources.NpmPackageDir(SotuSpeeches.NpmPackage));
        foreach (var file in sotuFiles)
        {
            if (!TaskCorpusSupport.Keep("sotu/" + Path.GetFileNameWithoutExtension(file), ctx.Scale)) continue;
            var s = SotuSpeeches.Read(file);
            Add("sotu", SotuSplit(s.Year, ctx.Seed), $"State of the Union, {s.Year}, {s.Name}",
                Sentences.Opening([Sentences.Collapse(s.Text)], MinWords, MaxWords));
        }

        foreach (var dir in new[] { ctx.Sources.DebianHandbook, ctx.Sources.PythonDocs })
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: not found (install debian-handbook and python3.11-doc)");
        var handbookDir = Directory.Exists(Path.Combine(ctx.Sources.DebianHandbook, "en-US")) ? Path.Combine(ctx.Sources.DebianHandbook, "en-US") : ctx.Sources.DebianHandbook;
        int handbookFiles = Manual(ctx, "handbook", HtmlFiles(handbookDir), title => $"The Debian Administrator's Handbook: {Unnumbered(title)}", Add, removed);
        var pyFiles = PythonFolders.SelectMany(f => HtmlFiles(Path.Combine(ctx.Sources.PythonDocs, f))).ToList();
        int pythonFiles = Manual(ctx, "python", pyFiles, null, Add, removed);

        foreach (var (split, list) in rows) TaskCorpusSupport.WriteLines(Path.Combine(ctx.OutputDir, $"{split}.csv"), list);
        foreach (var (source, l) in words.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            counts.Bump($"{source}.mean_words", TaskCorpusSupport.Mean(l.Sum(x => (long)x), l.Count));
            counts.Bump($"{source}.min_words", l.Min());
            counts.Bump($"{source}.max_words", l.Max());
        }
        counts.Bump("examples", rows.Values.Sum(r => r.Count - 1));

        var sources = new List<SourceInfo>
        {
            new("State of the Union addresses 1790-2021", SotuSpeeches.NpmPackage, Provisioning.PackageVersion(SotuSpeeches.NpmPackage),
                "Apache-2.0 package; speeches public domain", sotuFiles.Count, ctx.Sources.NpmPackageDir(SotuSpeeches.NpmPackage)),
            new("The Debian Administrator's Handbook", "debian-handbook", Provisioning.PackageVersion("debian-handbook"), "GPL-2.0-or-later or CC-BY-SA-3.0",
                handbookFiles, handbookDir),
            new("Python 3.11 documentation (howto, tutorial, whatsnew)", "python3.11-doc", Provisioning.PackageVersion("python3.11-doc"), "PSF-2.0",
                pythonFiles, ctx.Sources.PythonDocs),
        };
        return TaskCorpusSupport.Finish(ctx, this, "ielts", sources,
            rows.Select(kv => (kv.Key, $"{kv.Key}.csv", (long)kv.Value.Count - 1)), counts, removed,
            ["real text", "constructed prompts", "no band scores", "IELTS stand-in"], clock);
    }

    /// <summary>Adds the sections of a manual's pages; returns the number of pages read.</summary>
    static int Manual(BuildContext ctx, string source, IReadOnlyList<string> files, Func<string, string>? handbookPrompt,
        Action<string, string, string, string> add, TaskCounts removed)
    {
        int read = 0;
        foreach (var file in files)
        {
            var key = $"{source}/{Path.GetFileName(Path.GetDirectoryName(file))}/{Path.GetFileName(file)}";
            if (!TaskCorpusSupport.Keep(key, ctx.Scale)) continue;
            read++;
            var split = Splits.Assign(key, ctx.Seed);
            var sections = Sections(HtmlText.Blocks(File.ReadAllText(file)));
            var page = sections.Count > 0 ? sections[0].Title : "";
            foreach (var (title, paragraphs) in sections)
            {
                if (paragraphs.Sum(DataFormats.Words) < MinSectionWords) { removed.Bump($"{source}: section under 150 words of prose"); continue; }
                var prompt = handbookPrompt is not null ? handbookPrompt(title)
                    : title == page ? $"Python documentation: {page}" : $"Python documentation, {page}: {title}";
                add(source, split, prompt, Sentences.Opening(paragraphs, MinWords, MaxWords));
            }
        }
        return read;
    }

    static List<string> HtmlFiles(string dir) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir, "*.html").OrderBy(f => f, StringComparer.Ordinal).ToList() : [];

    /// <summary>A handbook heading without its number: "6.2.1. Initialization" -> "Initialization".</summary>
    public static string Unnumbered(string title) => Numbering().Replace(title, "");

    [GeneratedRegex(@"^(?:(?:Chapter|Appendix)\s+)?[A-Z0-9]{1,2}(?:\.[0-9]+)*\.\s+")] private static partial Regex Numbering();
}
