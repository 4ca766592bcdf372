using System.CommandLine;
using System.Text.Json;
using NotebookSlm.Accounting;
using NotebookSlm.Models;
using NotebookSlm.Reporting;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm presets</c> and <c>slm params</c>: configurations and their analytic costs.</summary>
static class ModelCommands
{
    public static Command Presets()
    {
        var markdown = new Option<bool>("--markdown") { Description = "print a Markdown table (as in the README)" };
        var cmd = new Command("presets", "list the preset configurations") { markdown };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var t = ParameterCounts.PresetTable(Models.Presets.All);
            Console.Write(r.GetValue(markdown) ? t.ToMarkdown() : t.ToText());
            return 0;
        }));
        return cmd;
    }

    public static Command Params()
    {
        var preset = new Option<string>("--preset") { Description = "preset name (see `slm presets`)", Required = true };
        var overrides = new Option<string?>("--override") { Description = "config changes, e.g. d_model=512,decoder_layers=6" };
        var json = new Option<bool>("--json") { Description = "print JSON instead of tables" };
        var input = new Option<int>("--input") { Description = "input tokens for the cost rows", DefaultValueFactory = _ => 512 };
        var output = new Option<int>("--output") { Description = "generated tokens for the cost rows", DefaultValueFactory = _ => 128 };
        var cmd = new Command("params", "parameter counts by component, FLOPs and memory of a configuration") { preset, overrides, json, input, output };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var c = Cli.Config(r.GetValue(preset)!, r.GetValue(overrides));
            var report = Report(c, r.GetValue(input), r.GetValue(output));
            if (r.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, Cli.Json));
            else Print(report);
            return 0;
        }));
        return cmd;
    }

    public sealed record CostReport(
        string Preset, string Architecture, int EncoderLayers, int DecoderLayers, int DModel, int Heads, int KvHeads, int HeadDim,
        int MlpHidden, int VocabSize, long ParametersTotal, Dictionary<string, long> ParametersByComponent,
        int InputTokens, int OutputTokens, double FirstTokenGflops, double DecodeTokenGflops, double GenerationGflops,
        double TrainingStepGflops, long WeightBytesFp32, long WeightBytesBf16, long KvCacheBytesBf16, long CrossCacheBytesBf16,
        double DecodeBytesPerTokenBf16);

    public static CostReport Report(ModelConfig c, int s, int n)
    {
        var p = ParameterCounts.Of(c);
        var cost = new CostModel(c);
        return new CostReport(c.Name, c.Architecture.ToString(), c.EncoderLayers, c.DecoderLayers, c.DModel, c.Heads, c.KvHeads, c.HeadDim,
            c.MlpHidden, c.VocabSize, p.Total, p.ByComponent().ToDictionary(x => x.Name, x => x.Count),
            s, n, cost.FirstTokenFlops(s) / 1e9, cost.DecodeTokenFlops(s, 0) / 1e9, cost.GenerationFlops(s, n) / 1e9,
            cost.TrainingStepFlops(s, n) / 1e9, cost.WeightBytes(4), cost.WeightBytes(2),
            cost.SelfCacheBytes(1, s, n, 2), cost.CrossCacheBytes(1, s, 2), cost.BytesPerDecodedToken(s, 0, 2));
    }

    static void Print(CostReport r)
    {
        Console.WriteLine($"{r.Preset}: {r.Architecture}, {r.EncoderLayers} encoder + {r.DecoderLayers} decoder layers, d_model {r.DModel}, " +
                          $"{r.Heads} heads / {r.KvHeads} KV heads of {r.HeadDim}, MLP {r.MlpHidden}, vocab {r.VocabSize}");
        var t = new Table("component", "parameters", "share");
        foreach (var (name, count) in r.ParametersByComponent.Where(x => x.Value > 0))
            t.Add(name, count.ToString("N0"), $"{100.0 * count / r.ParametersTotal:F1}%");
        t.Add("total", r.ParametersTotal.ToString("N0"), "100%");
        Console.WriteLine(); Console.Write(t.ToText());
        var cost = new Table("cost (batch 1)", "value");
        cost.Add($"first token, input {r.InputTokens}", $"{r.FirstTokenGflops:F2} GFLOP");
        cost.Add("each later token", $"{r.DecodeTokenGflops:F3} GFLOP");
        cost.Add($"generate {r.OutputTokens} tokens", $"{r.GenerationGflops:F2} GFLOP");
        cost.Add($"training step {r.InputTokens}->{r.OutputTokens}", $"{r.TrainingStepGflops:F2} GFLOP");
        cost.Add("weights fp32 / bf16", $"{r.WeightBytesFp32 / 1048576.0:F1} / {r.WeightBytesBf16 / 1048576.0:F1} MiB");
        cost.Add($"self KV cache bf16 at {r.InputTokens}+{r.OutputTokens}", $"{r.KvCacheBytesBf16 / 1048576.0:F2} MiB");
        cost.Add("cross K/V cache bf16", $"{r.CrossCacheBytesBf16 / 1048576.0:F2} MiB");
        cost.Add("bytes read per decoded token bf16", $"{r.DecodeBytesPerTokenBf16 / 1048576.0:F1} MiB");
        Console.WriteLine(); Console.Write(cost.ToText());
    }
}
