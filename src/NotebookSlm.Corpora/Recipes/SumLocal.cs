using System.Diagnostics;
using System.Text.Json;

namespace NotebookSlm.Corpora;

/// <summary>
/// sum-local: an offline stand-in for XSum (extreme, one-sentence summarisation) built from
/// real local text. Both sides of every pair are real, written by people, and pair up as
/// published; only the pairing rule is ours:
/// (a) man pages: the DESCRIPTION section (document) and the NAME line's description after
///     " - " (summary), id "man/&lt;page&gt;.&lt;section&gt;" (English pages only);
/// (b) AppStream (DEP-11) components: the Description, HTML paragraphs and list items turned
///     into text, one per line (document), and the Summary (summary), id "appstream/&lt;id&gt;".
/// Filters, each counted in the manifest's Removed: document at least 30 words, summary 3-30
/// words, summary not contained in the document's first sentence (which would make the task
/// copying), help2man's placeholder summary "manual page for X" (its page is --help output),
/// duplicate documents and ids; gcloud alpha/beta copies of GA pages are left out. Splits by a hash of (seed, id): val 5%, test 5%.
/// Output: train.jsonl, val.jsonl, test.jsonl with {"document", "summary", "id"}.
/// </summary>
public sealed class SumLocal : ICorpusRecipe
{
    public const int MinDocumentWords = 30, MinSummaryWords = 3, MaxSummaryWords = 30;

    public string Name => "sum-local";
    public string Version => "1";
    public string Description =>
        "XSum-style extreme summarisation stand-in from real local text (not XSum): man page DESCRIPTION -> the NAME line's " +
        "one-line description, and AppStream component Description -> Summary. Pairs are real author-written text paired by " +
        "rule; filtered to documents of at least 30 words, summaries of 3-30 words not contained in the first sentence.";
    // appstream makes apt fetch the DEP-11 metadata (Components-*.yml.gz) that the AppStream pairs come from.
    public IReadOnlyList<string> AptPackages => ["manpages", "manpages-dev", "appstream"];
    public IReadOnlyList<string> NpmPackages => [];

    /// <summary>The one-line description of a NAME line ("ls - list directory contents" ->
    /// "list directory contents"), or null when it has no " - " separator.</summary>
    public static string? NameDescription(string nameLine)
    {
        foreach (var sep in new[] { " - ", " \u2014 ", " \u2013 ", " -- " })
        {
            int at = nameLine.IndexOf(sep, StringComparison.Ordinal);
            if (at > 0) return nameLine[(at + sep.Length)..].Trim();
        }
        return null;
    }

    /// <summary>Why a pair is filtered out, or null when it is kept.</summary>
    public static string? Reject(string document, string summary)
    {
        if (DataFormats.Words(document) < MinDocumentWords) return "document under 30 words";
        if (summary.StartsWith("manual page for ", StringComparison.OrdinalIgnoreCase)) return "placeholder summary (help2man)";
        int s = DataFormats.Words(summary);
        if (s < MinSummaryWords || s > MaxSummaryWords) return "summary not 3-30 words";
        var spans = Sentences.Spans(document);
        var first = spans.Count == 0 ? document : document.Substring(spans[0].Start, spans[0].Length);
        var core = summary.Trim().TrimEnd('.', ' ');
        if (core.Length == 0 || first.Contains(core, StringComparison.OrdinalIgnoreCase)) return "summary inside first sentence";
        return null;
    }

    /// <summary>The text of an AppStream description: paragraphs and list items, one per line.</summary>
    public static string DescriptionText(string html) =>
        string.Join("\n", HtmlText.Blocks(html, listItemsAreParagraphs: true).Where(b => !b.IsHeading).Select(b => b.Text));

    public Manifest Build(BuildContext ctx)
    {
        var clock = Stopwatch.StartNew();
        TaskCorpusSupport.CheckScale(ctx.Scale);
        Directory.CreateDirectory(ctx.OutputDir);
        var removed = new TaskCounts();
        var counts = new TaskCounts();
        var lines = new Dictionary<string, List<string>> { ["train"] = [], ["val"] = [], ["test"] = [] };
        var seenDocs = new HashSet<string>(StringComparer.Ordinal);
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        long docWords = 0, sumWords = 0, maxDocWords = 0;

        void Add(string source, string id, string document, string summary)
        {
            if (Reject(document, summary) is { } reason) { removed.Bump($"{source}: {reason}"); return; }
            if (!seenIds.Add(id)) { removed.Bump($"{source}: duplicate id"); return; }
            if (!seenDocs.Add(document)) { removed.Bump($"{source}: duplicate document"); return; }
            var split = Splits.Assign(id, ctx.Seed);
            lines[split].Add(JsonLine(document, summary, id));
            counts.Bump(source);
            int dw = DataFormats.Words(document);
            docWords += dw; maxDocWords = Math.Max(maxDocWords, dw);
            sumWords += DataFormats.Words(summary);
        }

        if (!Directory.Exists(ctx.Sources.ManPages)) throw new DirectoryNotFoundException($"{ctx.Sources.ManPages}: man pages not found");
        if (!Directory.Exists(ctx.Sources.AppStream)) throw new DirectoryNotFoundException($"{ctx.Sources.AppStream}: AppStream metadata folder not found");
        var appFiles = Directory.GetFiles(ctx.Sources.AppStream, "*Components-*.yml.gz").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (appFiles.Count == 0) throw new FileNotFoundException($"{ctx.Sources.AppStream}: no *Components-*.yml.gz (AppStream metadata comes with `apt update` on Debian)");

        int manFiles = 0;
        foreach (var file in ManPages.Files(ctx.Sources.ManPages, ctx.Sources.ManPagePackages))
        {
            var page = TaskCorpusSupport.ManPageName(file);
            if (!TaskCorpusSupport.Keep("man/" + page, ctx.Scale)) continue;
            if (TaskCorpusSupport.IsPreviewCopy(page)) { removed.Bump("man: gcloud alpha/beta copy of a GA page"); continue; }
            manFiles++;
            var parsed = ManPages.Parse(ManPages.ReadSource(file), file);
            if (parsed is null) { removed.Bump("man: redirection or no sections"); continue; }
            var summary = NameDescription(parsed.NameLine);
            if (summary is null) { removed.Bump("man: NAME line without ' - '"); continue; }
            var description = parsed.Get("DESCRIPTION");
            if (description is null) { removed.Bump("man: no DESCRIPTION section"); continue; }
            Add("man", "man/" + page, description.Replace("\n\n", "\n"), summary);
        }

        foreach (var file in appFiles)
            foreach (var c in Dep11.Read(file))
            {
                if (!TaskCorpusSupport.Keep("appstream/" + c.Id, ctx.Scale)) continue;
                if (c.Summary is null || c.Description is null) { removed.Bump("appstream: no Summary or Description"); continue; }
                Add("appstream", "appstream/" + c.Id, DescriptionText(c.Description), Sentences.Collapse(c.Summary));
            }

        foreach (var (split, list) in lines) TaskCorpusSupport.WriteLines(Path.Combine(ctx.OutputDir, $"{split}.jsonl"), list);
        long total = lines.Values.Sum(l => l.Count);
        counts.Bump("examples", total);
        counts.Bump("mean_document_words", TaskCorpusSupport.Mean(docWords, total));
        counts.Bump("max_document_words", maxDocWords);
        counts.Bump("mean_summary_words", TaskCorpusSupport.Mean(sumWords, total));

        var sources = new List<SourceInfo>
        {
            new("man pages", "manpages", Provisioning.PackageVersion("manpages"), "various free licences (/usr/share/doc/manpages/copyright); pages of other packages under their own licences",
                manFiles, $"English pages under {ctx.Sources.ManPages}/man1..man8, every installed package"),
            new("AppStream DEP-11 metadata", "apt lists (Components-*.yml.gz)", Dep11.HeaderTime(appFiles[0]),
                "per-component metadata licences (mostly CC0-1.0, FSFAP)", appFiles.Count, string.Join(", ", appFiles.Select(Path.GetFileName))),
        };
        return TaskCorpusSupport.Finish(ctx, this, "xsum", sources,
            lines.Select(kv => (kv.Key, $"{kv.Key}.jsonl", (long)kv.Value.Count)), counts, removed,
            ["real text", "rule-paired summaries", "XSum stand-in"], clock);
    }

    static string JsonLine(string document, string summary, string id)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, TaskCorpusSupport.JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("document", document);
            w.WriteString("summary", summary);
            w.WriteString("id", id);
            w.WriteEndObject();
        }
        return TaskCorpusSupport.Utf8.GetString(ms.ToArray());
    }
}
