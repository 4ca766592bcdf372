using System.Diagnostics;
using NotebookSlm.Data.Readers;
using NotebookSlm.Tokenization;

namespace NotebookSlm.Corpora;

/// <summary>Options of one <c>slm data build</c>: where corpora go, the seed and the scale.</summary>
public sealed record CorpusBuildOptions
{
    /// <summary>Folder holding one sub-folder per corpus (default artifacts/data).</summary>
    public string Root { get; init; } = Path.Combine("artifacts", "data");
    public int Seed { get; init; } = 17;
    /// <summary>1 builds full corpora; smoke runs build a fraction.</summary>
    public double Scale { get; init; } = 1.0;
    public RawSources Sources { get; init; } = RawSources.Debian;
    /// <summary>Install missing Debian and npm packages (off in tests, which use fixtures).</summary>
    public bool Provision { get; init; } = true;
    /// <summary>Rebuild even when a manifest with the same recipe version, seed and scale exists.</summary>
    public bool Force { get; init; }
}

/// <summary>
/// Builds the offline corpora by name: installs what each recipe reads, builds the task
/// corpora before edu-local (whose 13-gram decontamination needs their validation and test
/// sets), and skips a corpus whose manifest already matches the recipe version and seed.
/// </summary>
public static class CorpusBuilder
{
    public const string EduLocal = "edu-local";

    /// <summary>Every recipe in this library, task corpora first and the pretraining corpus last.</summary>
    public static IReadOnlyList<ICorpusRecipe> Recipes { get; } =
        typeof(ICorpusRecipe).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICorpusRecipe).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (ICorpusRecipe)Activator.CreateInstance(t)!)
            .OrderBy(r => r.Name == EduLocal ? 1 : 0).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToArray();

    public static ICorpusRecipe Get(string name) =>
        Recipes.FirstOrDefault(r => r.Name == name)
        ?? throw new ArgumentException($"unknown corpus '{name}'; known: {string.Join(", ", Recipes.Select(r => r.Name))}, all");

    public static string Folder(CorpusBuildOptions o, string name) => Path.Combine(o.Root, name);

    /// <summary>Builds one corpus (or "all") and returns the manifests in build order.</summary>
    public static IReadOnlyList<Manifest> Build(string name, CorpusBuildOptions o, Action<string> log)
    {
        var chosen = name == "all" ? Recipes : [Get(name)];
        var result = new List<Manifest>();
        foreach (var recipe in chosen) result.Add(BuildOne(recipe, o, log));
        return result;
    }

    static Manifest BuildOne(ICorpusRecipe recipe, CorpusBuildOptions o, Action<string> log)
    {
        var dir = Folder(o, recipe.Name);
        if (!o.Force && TryCurrent(dir, recipe, o) is { } existing)
        {
            log($"{recipe.Name}: up to date ({dir})");
            return existing;
        }
        if (o.Provision)
        {
            Provisioning.EnsureApt(recipe.AptPackages, log);
            Provisioning.EnsureNpm(recipe.NpmPackages, o.Sources, log);
        }
        IReadOnlyList<string> evaluation = [];
        if (recipe.Name == EduLocal)
        {
            foreach (var task in Recipes.Where(r => r.Name != EduLocal)) BuildOne(task, o, log);
            evaluation = EvaluationTexts(o);
            log($"{recipe.Name}: decontaminating against {evaluation.Count:N0} evaluation texts");
        }
        var staging = dir + $".tmp{Environment.ProcessId}";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        var clock = Stopwatch.StartNew();
        var ctx = new BuildContext(staging, o.Sources, o.Seed, log) { Scale = o.Scale, EvaluationTexts = evaluation };
        var built = recipe.Build(ctx);
        // The build options that made the corpus, so that a rerun can tell whether it is current.
        var manifest = built with { Counts = new SortedDictionary<string, long>(built.Counts.ToDictionary()) { ["scale_permille"] = ScalePermille(o) } };
        manifest.Write(staging);
        // The finished corpus replaces the old one in one move: a failed build loses nothing.
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.Move(staging, dir);
        log($"{recipe.Name}: built in {clock.Elapsed.TotalSeconds:F0} s -> {dir}");
        return manifest;
    }

    static Manifest? TryCurrent(string dir, ICorpusRecipe recipe, CorpusBuildOptions o)
    {
        if (!File.Exists(Path.Combine(dir, Manifest.FileName))) return null;
        var m = Manifest.Read(dir);
        bool sameScale = m.Counts.TryGetValue("scale_permille", out var permille) && permille == ScalePermille(o);
        return m.RecipeVersion == recipe.Version && m.Seed == o.Seed && sameScale ? m : null;
    }

    static long ScalePermille(CorpusBuildOptions o) => (long)Math.Round(o.Scale * 1000);

    /// <summary>The validation and test texts of every task corpus (what pretraining must not contain).</summary>
    public static IReadOnlyList<string> EvaluationTexts(CorpusBuildOptions o)
    {
        var texts = new List<string>();
        foreach (var task in Recipes.Where(r => r.Name != EduLocal))
        {
            var dir = Folder(o, task.Name);
            var m = Manifest.Read(dir);
            foreach (var split in new[] { "val", "test" })
            {
                if (m.SplitPath(dir, split) is not { } path) continue;
                texts.AddRange(m.Format switch
                {
                    "squad" => SquadJson.Read(path).SelectMany(a => a.Paragraphs).SelectMany(p =>
                        p.Questions.SelectMany(q => q.Answers.Select(x => x.Text).Prepend(q.Question)).Prepend(p.Context)),
                    "xsum" => XsumJsonl.Read(path).SelectMany(x => new[] { x.Document, x.Summary }),
                    "codexglue" => CodeXGlue.Read(path).SelectMany(c => new[] { c.Java, c.CSharp }),
                    "ielts" => IeltsCsv.Read(path).SelectMany(e => new[] { e.Prompt, e.Text }),
                    _ => throw new InvalidDataException($"{dir}: corpus format '{m.Format}' has no evaluation reader"),
                });
            }
        }
        return texts;
    }
}
