using System.Diagnostics;
using System.IO.Compression;

namespace NotebookSlm.Corpora;

/// <summary>
/// code-local: an offline stand-in for CodeXGLUE code-to-code translation (Java -> C#). The
/// Java side is real: methods of 3-40 lines (annotations to closing brace) from the OpenJDK 17
/// sources (src.zip, the java.base packages listed in <see cref="Packages"/>). The C# side is
/// rule-translated by <see cref="JavaToCSharp"/>, not written by people, and labelled
/// "rule-translated"; a method the rules refuse is skipped and counted in Removed by reason,
/// as are methods outside 3-40 lines and duplicate Java methods. Files are split by a hash of
/// (seed, zip entry), val 5%, test 5%, so all methods of a class share a split. Output in
/// CodeXGLUE's layout, one method a line, whitespace collapsed to single spaces:
/// train.java-cs.txt.java / .cs, valid.java-cs.txt.java / .cs, test.java-cs.txt.java / .cs.
/// </summary>
public sealed class CodeLocal : ICorpusRecipe
{
    public const int MinLines = 3, MaxLines = 40;

    /// <summary>Zip entry prefixes the methods come from.</summary>
    public static readonly string[] Packages =
    [
        "java.base/java/io/", "java.base/java/lang/", "java.base/java/math/", "java.base/java/net/", "java.base/java/nio/",
        "java.base/java/text/", "java.base/java/time/", "java.base/java/util/",
    ];

    /// <summary>CodeXGLUE's file stem of each split.</summary>
    public static readonly (string Split, string Stem)[] Files = [("train", "train"), ("val", "valid"), ("test", "test")];

    public string Name => "code-local";
    public string Version => "1";
    public string Description =>
        "CodeXGLUE-style Java -> C# translation stand-in (not CodeXGLUE): real OpenJDK 17 java.base methods of 3-40 lines paired " +
        "with C# produced by a small documented rule set (rule-translated, not human-written); methods the rules cannot " +
        "translate are skipped and counted.";
    public IReadOnlyList<string> AptPackages => ["openjdk-17-source"];
    public IReadOnlyList<string> NpmPackages => [];

    public Manifest Build(BuildContext ctx)
    {
        var clock = Stopwatch.StartNew();
        TaskCorpusSupport.CheckScale(ctx.Scale);
        Directory.CreateDirectory(ctx.OutputDir);
        if (!File.Exists(ctx.Sources.JdkSourceZip))
            throw new FileNotFoundException($"{ctx.Sources.JdkSourceZip}: OpenJDK sources not found (install openjdk-17-source)", ctx.Sources.JdkSourceZip);
        var removed = new TaskCounts();
        var counts = new TaskCounts();
        var java = Files.ToDictionary(f => f.Split, _ => new List<string>());
        var cs = Files.ToDictionary(f => f.Split, _ => new List<string>());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long lines = 0, javaChars = 0, csChars = 0;
        int read = 0;

        using (var zip = ZipFile.OpenRead(ctx.Sources.JdkSourceZip))
        {
            var entries = zip.Entries
                .Where(e => e.FullName.EndsWith(".java", StringComparison.Ordinal) && Packages.Any(p => e.FullName.StartsWith(p, StringComparison.Ordinal)))
                .OrderBy(e => e.FullName, StringComparer.Ordinal).ToList();
            foreach (var entry in entries)
            {
                if (!TaskCorpusSupport.Keep("jdk/" + entry.FullName, ctx.Scale)) continue;
                read++;
                string source;
                using (var reader = new StreamReader(entry.Open())) source = reader.ReadToEnd();
                var split = Splits.Assign(entry.FullName, ctx.Seed);
                foreach (var m in JavaMethods.Extract(source, entry.FullName))
                {
                    counts.Bump("methods found");
                    if (m.Lines is < MinLines or > MaxLines) { removed.Bump("method outside 3-40 lines"); continue; }
                    var oneLine = m.OneLine;
                    var translation = JavaToCSharp.Translate(m.Tokens);
                    if (translation.CSharp is null)
                    {
                        var reason = translation.Refused!;
                        int colon = reason.IndexOf(':');
                        removed.Bump("untranslatable: " + (colon > 0 ? reason[..colon] : reason));
                        continue;
                    }
                    if (!seen.Add(oneLine)) { removed.Bump("duplicate java method"); continue; }
                    java[split].Add(oneLine);
                    cs[split].Add(translation.CSharp);
                    lines += m.Lines;
                    javaChars += oneLine.Length;
                    csChars += translation.CSharp.Length;
                }
            }
        }

        var splitInfos = new List<(string, string, long)>();
        foreach (var (split, stem) in Files)
        {
            TaskCorpusSupport.WriteLines(Path.Combine(ctx.OutputDir, $"{stem}.java-cs.txt.java"), java[split]);
            TaskCorpusSupport.WriteLines(Path.Combine(ctx.OutputDir, $"{stem}.java-cs.txt.cs"), cs[split]);
            splitInfos.Add(($"{split}.java", $"{stem}.java-cs.txt.java", java[split].Count));
            splitInfos.Add(($"{split}.cs", $"{stem}.java-cs.txt.cs", cs[split].Count));
        }
        long pairs = java.Values.Sum(l => l.Count);
        counts.Bump("pairs", pairs);
        counts.Bump("java files read", read);
        counts.Bump("mean_source_lines", TaskCorpusSupport.Mean(lines, pairs));
        counts.Bump("mean_java_chars", TaskCorpusSupport.Mean(javaChars, pairs));
        counts.Bump("mean_cs_chars", TaskCorpusSupport.Mean(csChars, pairs));

        var sources = new List<SourceInfo>
        {
            new("OpenJDK 17 sources (java.base)", "openjdk-17-source", Provisioning.PackageVersion("openjdk-17-source"),
                "GPL-2.0 with Classpath Exception", read, $"{ctx.Sources.JdkSourceZip}: {string.Join(", ", Packages)}"),
        };
        return TaskCorpusSupport.Finish(ctx, this, "codexglue", sources, splitInfos, counts, removed,
            ["real Java", "rule-translated C#", "CodeXGLUE stand-in"], clock);
    }
}
