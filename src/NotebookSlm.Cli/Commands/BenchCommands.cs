using System.CommandLine;
using System.Text.Json;
using NotebookSlm.Benchmarks;
using NotebookSlm.Checkpoints;
using NotebookSlm.Models;
using NotebookSlm.Reporting;
using NotebookSlm.Runtime;
using TorchSharp;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm bench ...</c>: benchmarks that write results files (never timed tests).</summary>
static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "benchmarks; each writes a JSON results file stamped with commit and machine");
        bench.Subcommands.Add(Generate());
        return bench;
    }

    static Command Generate()
    {
        var presets = new Option<string>("--presets") { DefaultValueFactory = _ => "tiny-encdec-2_3,tiny-deconly,330m-encdec-2_3,330m-deconly" };
        var input = new Option<int>("--input") { DefaultValueFactory = _ => 128 };
        var newTokens = new Option<int>("--new-tokens") { DefaultValueFactory = _ => 64 };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 1 };
        var profile = new Option<string>("--profile") { Description = "smoke or full (recorded in the results)", DefaultValueFactory = _ => "full" };
        var output = new Option<string?>("--out") { Description = "results JSON path" };
        var cmd = new Command("generate", "KV-cached generation against full recomputation at every step (the released algorithm)")
            { presets, input, newTokens, repeats, batch, profile, output };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            var results = new List<GenerationBenchResult>();
            foreach (var name in r.GetValue(presets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                results.Add(GenerationBench.Run(Models.Presets.Get(name), r.GetValue(input), r.GetValue(newTokens), r.GetValue(batch),
                    r.GetValue(repeats), log: Console.Error.WriteLine));
            var table = Table(results);
            Console.Write(table.ToText());
            if (r.GetValue(output) is { } path)
            {
                var doc = new { run = RunInfo.Capture(r.GetValue(profile)!), results, markdown = table.ToMarkdown() };
                AtomicFile.WriteText(path, JsonSerializer.Serialize(doc, Cli.Json));
                Console.WriteLine($"wrote {path}");
            }
            return 0;
        }));
        return cmd;
    }

    public static Table Table(IEnumerable<GenerationBenchResult> results)
    {
        var t = new Table("preset", "params", "input", "new", "cached tok/s", "recompute tok/s", "speedup", "cached first ms", "recompute first ms", "same tokens");
        foreach (var x in results)
            t.Add(x.Preset, ModelCommands.Human(x.Parameters), x.InputTokens, x.NewTokens, x.Cached.DecodeTokensPerSecond.ToString("F1"),
                x.Recompute.DecodeTokensPerSecond.ToString("F1"), $"{x.DecodeSpeedup:F2}x", x.Cached.FirstTokenMs.ToString("F1"),
                x.Recompute.FirstTokenMs.ToString("F1"), x.SameTokens ? "yes" : "NO");
        return t;
    }
}
