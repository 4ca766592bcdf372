using NotebookSlm.Generation;
using TorchSharp;
using NotebookSlm.Models;
using NotebookSlm.Reporting;
using static TorchSharp.torch;

namespace NotebookSlm.Benchmarks;

/// <summary>Timing of one decoding mode on one model.</summary>
public sealed record ModeTiming(string Mode, double FirstTokenMs, double DecodeTokensPerSecond, double TotalMs);

/// <summary>Cached decoding against full recomputation for one model.</summary>
public sealed record GenerationBenchResult(
    string Preset, string Architecture, long Parameters, string DType, int InputTokens, int NewTokens, int Batch, int Repeats,
    ModeTiming Cached, ModeTiming Recompute, bool SameTokens)
{
    public double DecodeSpeedup => Recompute.DecodeTokensPerSecond > 0 ? Cached.DecodeTokensPerSecond / Recompute.DecodeTokensPerSecond : 0;
}

/// <summary>
/// Measures greedy generation with the KV cache (and, for encoder-decoders, cross K/V
/// computed once) against the released algorithm, which reruns the decoder over every
/// token generated so far at each step. Random weights: speed does not depend on them.
/// </summary>
public static class GenerationBench
{
    public static GenerationBenchResult Run(ModelConfig config, int inputTokens, int newTokens, int batch = 1, int repeats = 3,
        ScalarType dtype = ScalarType.Float32, long seed = 0, Action<string>? log = null)
    {
        var model = LanguageModel.Create(config, seed);
        if (dtype != ScalarType.Float32) model.Module.to(dtype);
        try
        {
            var rng = new Random((int)seed);
            var prompts = Enumerable.Range(0, batch)
                .Select(_ => Enumerable.Range(0, inputTokens).Select(_ => rng.Next(4, config.VocabSize)).ToArray()).ToArray();
            var options = new GenerationOptions { MaxNewTokens = newTokens, StopAtEos = false, Greedy = true };

            (ModeTiming, IReadOnlyList<int[]>) Time(bool cache)
            {
                var o = options with { UseCache = cache };
                model.Generate(prompts, o with { MaxNewTokens = Math.Min(4, newTokens) });   // warm-up
                var runs = new List<GenerationResult>();
                for (int r = 0; r < repeats; r++)
                {
                    runs.Add(model.Generate(prompts, o));
                    log?.Invoke($"{config.Name} {(cache ? "cached" : "recompute")} run {r + 1}/{repeats}: first {runs[^1].FirstTokenMs:F1} ms, {runs[^1].DecodeTokensPerSecond:F1} tok/s");
                }
                var timing = new ModeTiming(cache ? "cached" : "recompute",
                    runs.Average(x => x.FirstTokenMs), runs.Average(x => x.DecodeTokensPerSecond), runs.Average(x => x.FirstTokenMs + x.DecodeMs));
                return (timing, runs[0].Tokens);
            }

            var (cached, tokensCached) = Time(true);
            var (recompute, tokensRecompute) = Time(false);
            bool same = tokensCached.Zip(tokensRecompute).All(p => p.First.SequenceEqual(p.Second));
            return new GenerationBenchResult(config.Name, config.Architecture.ToString(), Accounting.ParameterCounts.Of(config).Total,
                dtype.ToString(), inputTokens, newTokens, batch, repeats, cached, recompute, same);
        }
        finally { model.Module.Dispose(); }
    }

    /// <summary>Cached against recomputed decoding, one row per model: the console's, the
    /// README's and notebook 00's table.</summary>
    public static Table Table(IEnumerable<GenerationBenchResult> results)
    {
        var t = new Table("preset", "params", "input", "new", "cached tok/s", "recompute tok/s", "speedup", "cached first ms", "recompute first ms", "same tokens");
        foreach (var x in results)
            t.Add(x.Preset, Reporting.Table.Count(x.Parameters), x.InputTokens, x.NewTokens, x.Cached.DecodeTokensPerSecond.ToString("F1"),
                x.Recompute.DecodeTokensPerSecond.ToString("F1"), $"{x.DecodeSpeedup:F2}x", x.Cached.FirstTokenMs.ToString("F1"),
                x.Recompute.FirstTokenMs.ToString("F1"), x.SameTokens ? "yes" : "NO");
        return t;
    }
}
