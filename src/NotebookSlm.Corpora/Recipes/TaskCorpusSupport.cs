using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NotebookSlm.Runtime;

namespace NotebookSlm.Corpora;

/// <summary>Counters keyed by name, kept in ordinal order so manifests list them stably.</summary>
public sealed class TaskCounts : SortedDictionary<string, long>
{
    public TaskCounts() : base(StringComparer.Ordinal) { }

    public void Bump(string key, long n = 1) => this[key] = (TryGetValue(key, out var v) ? v : 0) + n;
}

/// <summary>
/// What the four task recipes (qa-local, sum-local, code-local, essay-local) share: the
/// deterministic Scale subset, seeded per-item random streams, writing text files through
/// AtomicFile with "\n" line endings and UTF-8 without BOM, and finishing the manifest
/// (split hashes and counts).
/// </summary>
public static class TaskCorpusSupport
{
    /// <summary>UTF-8 without a byte-order mark.</summary>
    public static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>JSON as compact as the data allows: no indentation, non-ASCII kept as is
    /// (still valid JSON; every reader accepts it).</summary>
    public static readonly JsonWriterOptions JsonOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Throws unless scale is in (0, 1].</summary>
    public static void CheckScale(double scale)
    {
        if (!(scale > 0 && scale <= 1)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Scale must be in (0, 1]");
    }

    /// <summary>
    /// Whether an item belongs to the deterministic Scale subset: a hash of its key below
    /// scale. Independent of the seed, so smoke builds with different seeds see the same
    /// items, and stable when other items come and go.
    /// </summary>
    public static bool Keep(string key, double scale) => scale >= 1.0 || Unit("scale", key) < scale;

    /// <summary>A seed for a per-item System.Random, from the build seed and the item's key
    /// (string.GetHashCode is randomised per process and cannot be used).</summary>
    public static int ItemSeed(int seed, string key)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\u0002{key}"));
        return BitConverter.ToInt32(h, 0) & int.MaxValue;
    }

    static double Unit(string salt, string key)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes($"{salt}\u0001{key}"));
        return BitConverter.ToUInt64(h, 0) / (double)ulong.MaxValue;
    }

    /// <summary>Writes lines, each followed by "\n", through a temp file and a rename.</summary>
    public static void WriteLines(string path, IEnumerable<string> lines) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var line in lines) w.Write(line + "\n");
        });

    /// <summary>Writes JSON through a temp file and a rename.</summary>
    public static void WriteJson(string path, Action<Utf8JsonWriter> write) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, JsonOptions);
            write(w);
            w.Flush();
        });

    /// <summary>
    /// Hashes the split files, writes manifest.json beside them and returns it. Splits are
    /// (name, file relative to the output folder, examples in it).
    /// </summary>
    public static Manifest Finish(BuildContext ctx, ICorpusRecipe recipe, string format, IReadOnlyList<SourceInfo> sources,
        IEnumerable<(string Name, string File, long Examples)> splits, TaskCounts counts, TaskCounts removed,
        IReadOnlyList<string> labels, Stopwatch clock)
    {
        var splitInfos = new SortedDictionary<string, SplitInfo>(StringComparer.Ordinal);
        foreach (var (name, file, examples) in splits)
            splitInfos[name] = new SplitInfo(file, examples, Splits.Sha256File(Path.Combine(ctx.OutputDir, file)));
        var manifest = new Manifest(recipe.Name, recipe.Version, recipe.Description, ctx.Seed, format, sources, splitInfos,
            counts, removed, labels, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Math.Round(clock.Elapsed.TotalSeconds, 2));
        manifest.Write(ctx.OutputDir);
        ctx.Log($"{recipe.Name}: {string.Join(", ", splitInfos.Select(s => $"{s.Key} {s.Value.Examples}"))} in {clock.Elapsed.TotalSeconds:F1} s");
        return manifest;
    }

    /// <summary>The man page name of a file: "ls.1.gz" -> "ls.1".</summary>
    public static string ManPageName(string file)
    {
        var page = Path.GetFileName(file);
        return page.EndsWith(".gz", StringComparison.Ordinal) ? page[..^3] : page;
    }

    /// <summary>
    /// Whether a man page is left out as a near-duplicate: the Google Cloud SDK installs 16,631
    /// generated pages here, 10,954 of them "(ALPHA)"/"(BETA)" copies of a GA page
    /// (gcloud_alpha_*, gcloud_beta_*); those copies would outnumber every other page, so only
    /// the GA pages are used.
    /// </summary>
    public static bool IsPreviewCopy(string page) =>
        page.StartsWith("gcloud_alpha_", StringComparison.Ordinal) || page.StartsWith("gcloud_beta_", StringComparison.Ordinal);

    /// <summary>Mean of a sum over a count, rounded to a whole number for the manifest's counts.</summary>
    public static long Mean(long sum, long count) => count == 0 ? 0 : (long)Math.Round(sum / (double)count);
}
