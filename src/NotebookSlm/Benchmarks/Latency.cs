using System.Text.Json.Serialization;
using NotebookSlm.Accounting;
using NotebookSlm.Export.Onnx;
using NotebookSlm.Generation;
using NotebookSlm.Models;
using NotebookSlm.Reporting;
using TorchSharp;

namespace NotebookSlm.Benchmarks;

public enum LatencyBackend { TorchSharp, OnnxCpu, OnnxCuda }

/// <summary>The paper's Table 2 protocol by default (<see cref="Paper.Table2"/>: input 512,
/// output 128 with EOS ignored, 100 examples), after warm-up runs.</summary>
public sealed record LatencyOptions
{
    public int InputTokens { get; init; } = Paper.Table2.InputTokens;
    public int OutputTokens { get; init; } = Paper.Table2.OutputTokens;
    public int Examples { get; init; } = Paper.Table2.Examples;
    public int Warmup { get; init; } = 2;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Seed { get; init; } = 1;
    public OnnxWeights Weights { get; init; } = OnnxWeights.Fp32;
    /// <summary>Where exports are cached, one folder per preset and weight format.</summary>
    public string ExportRoot { get; init; } = Path.Combine("artifacts", "onnx");
}

/// <summary>Measured speed against what memory bandwidth (decode) and matmul throughput
/// (first token) allow on this machine.</summary>
public sealed record Roofline(
    [property: JsonPropertyName("bytes_per_token")] double BytesPerToken,
    [property: JsonPropertyName("ceiling_tokens_per_s")] double CeilingTokensPerSecond,
    [property: JsonPropertyName("fraction_of_ceiling")] double FractionOfCeiling,
    [property: JsonPropertyName("first_token_gflop")] double FirstTokenGflop,
    [property: JsonPropertyName("compute_floor_ms")] double ComputeFloorMs,
    [property: JsonPropertyName("fraction_of_compute")] double FractionOfCompute);

public sealed record LatencyResult(
    [property: JsonPropertyName("preset")] string Preset,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("backend")] string Backend,
    [property: JsonPropertyName("weights")] string Weights,
    [property: JsonPropertyName("input_tokens")] int InputTokens,
    [property: JsonPropertyName("output_tokens")] int OutputTokens,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("first_token_ms")] Stats FirstTokenMs,
    [property: JsonPropertyName("decode_tokens_per_s")] Stats DecodeTokensPerSecond,
    [property: JsonPropertyName("roofline")] Roofline Roofline);

/// <summary>
/// First-token latency (encoding plus the first decoder step, against decoder-only prefill) and
/// decode throughput (tokens per second after the first), over seeded random prompts, for the
/// TorchSharp model or its ONNX export on ONNX Runtime; with the roofline of this machine.
/// Random weights: the arithmetic and the bytes read per token, hence the speed, do not depend on them.
/// </summary>
public static class Latency
{
    /// <summary>The seeded random prompts of a run, warm-up prompts first, then the measured ones:
    /// every runtime compared (TorchSharp, ONNX Runtime, llama.cpp) reads these.</summary>
    public static IReadOnlyList<int[]> Prompts(ModelConfig config, LatencyOptions o)
    {
        var rng = new Random(o.Seed);
        return Enumerable.Range(0, o.Warmup + o.Examples)
            .Select(_ => Enumerable.Range(0, o.InputTokens).Select(_ => rng.Next(4, Math.Min(config.VocabSize, 32000))).ToArray()).ToArray();
    }

    public static LatencyResult Run(ModelConfig config, LatencyBackend backend, LatencyOptions o, MachineCeilings machine, Action<string>? log = null)
    {
        var prompts = Prompts(config, o);
        var generation = GenerationOptions.Exactly(o.OutputTokens);
        Func<int[], GenerationResult> generate;
        IDisposable? owner;
        int oldThreads = torch.get_num_threads();
        if (backend == LatencyBackend.TorchSharp)
        {
            torch.set_num_threads(o.Threads);
            var model = LanguageModel.Create(config, o.Seed);
            generate = p => model.Generate([p], generation);
            owner = model.Module;
        }
        else
        {
            var dir = ExportOnce(config, o, log);
            var onnx = new OnnxLanguageModel(dir, new OnnxRuntimeOptions { Threads = o.Threads, Cuda = backend == LatencyBackend.OnnxCuda });
            generate = p => onnx.Generate([p], generation);
            owner = onnx;
        }
        try
        {
            for (int w = 0; w < o.Warmup; w++) generate(prompts[w]);
            var first = new List<double>();
            var decode = new List<double>();
            for (int e = 0; e < o.Examples; e++)
            {
                var r = generate(prompts[o.Warmup + e]);
                first.Add(r.FirstTokenMs);
                decode.Add(r.DecodeTokensPerSecond);
                log?.Invoke($"{config.Name} {backend} {o.Weights} example {e + 1}/{o.Examples}: first {r.FirstTokenMs:F0} ms, {r.DecodeTokensPerSecond:F1} tok/s");
            }
            var firstStats = Stats.Of(first);
            var decodeStats = Stats.Of(decode);
            return new LatencyResult(config.Name, config.Architecture.ToString(), backend.ToString(),
                backend == LatencyBackend.TorchSharp ? "fp32" : o.Weights.ToString().ToLowerInvariant(),
                o.InputTokens, o.OutputTokens, o.Examples, o.Threads, firstStats, decodeStats,
                RooflineOf(config, backend == LatencyBackend.TorchSharp ? OnnxWeights.Fp32 : o.Weights, o, machine, firstStats.Mean, decodeStats.Mean));
        }
        finally
        {
            owner.Dispose();
            torch.set_num_threads(oldThreads);
        }
    }

    /// <summary>One row per model, backend and weight format, with this machine's decode ceiling.</summary>
    public static Table Table(IEnumerable<LatencyResult> results)
    {
        var t = new Table("preset", "backend", "weights", "first token ms (mean / median / p90)", "decode tok/s (mean / median / p90)", "ceiling tok/s", "of ceiling");
        foreach (var x in results)
            t.Add(x.Preset, x.Backend, x.Weights, $"{x.FirstTokenMs.Mean:F0} / {x.FirstTokenMs.Median:F0} / {x.FirstTokenMs.P90:F0}",
                $"{x.DecodeTokensPerSecond.Mean:F1} / {x.DecodeTokensPerSecond.Median:F1} / {x.DecodeTokensPerSecond.P90:F1}",
                x.Roofline.CeilingTokensPerSecond.ToString("F1"), $"{100 * x.Roofline.FractionOfCeiling:F0}%");
        return t;
    }

    /// <summary>Bytes a weight costs: fp32 4; MatMulNBits blocks of 32 carry one fp32 scale each.</summary>
    public static double WeightBytes(OnnxWeights w) => w switch
    {
        OnnxWeights.Fp32 => 4.0,
        OnnxWeights.Int8 => 1.0 + 4.0 / 32,
        OnnxWeights.Int4 => 0.5 + 4.0 / 32,
        _ => throw new ArgumentOutOfRangeException(nameof(w)),
    };

    public static Roofline RooflineOf(ModelConfig config, OnnxWeights weights, LatencyOptions o, MachineCeilings machine, double firstMs, double tokensPerSecond)
    {
        var cost = new CostModel(config);
        // Mean over the steps that decode throughput counts (every token after the first).
        double bytes = Enumerable.Range(1, Math.Max(1, o.OutputTokens - 1))
            .Average(t => cost.BytesPerDecodedToken(o.InputTokens, t, WeightBytes(weights), 4.0));
        double ceiling = machine.BandwidthGBps * 1e9 / bytes;
        double gflop = cost.FirstTokenFlops(o.InputTokens) / 1e9;
        double floorMs = gflop / machine.MatmulGflops * 1000;
        return new Roofline(bytes, ceiling, tokensPerSecond / ceiling, gflop, floorMs, floorMs / firstMs);
    }

    /// <summary>Exports the preset's random-weight model once per weight format and reuses it.</summary>
    public static string ExportDirectory(ModelConfig config, LatencyOptions o) =>
        Path.Combine(o.ExportRoot, $"{config.Name}-{o.Weights.ToString().ToLowerInvariant()}-seed{o.Seed}");

    public static string ExportOnce(ModelConfig config, LatencyOptions o, Action<string>? log)
    {
        var dir = ExportDirectory(config, o);
        int positions = Math.Max(8192, o.InputTokens + o.OutputTokens);
        if (OnnxExport.Matches(dir, config, o.Weights, positions)) return dir;
        log?.Invoke($"exporting {config.Name} ({o.Weights}) to {dir}");
        var model = LanguageModel.Create(config, o.Seed);
        try { OnnxExport.Save(model, dir, new OnnxExportOptions { Weights = o.Weights, MaxPositions = positions }); }
        finally { model.Module.Dispose(); }
        return dir;
    }
}
