using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NotebookSlm.Export.Gguf;
using NotebookSlm.Export.Onnx;
using NotebookSlm.Models;
using NotebookSlm.Reporting;

namespace NotebookSlm.Benchmarks;

/// <summary>The side-by-side protocol: one set of lengths, examples, threads and prompts for
/// every runtime; which weight formats each side runs.</summary>
public sealed record PeerOptions
{
    /// <summary>The bar of issue 4 point 7: our decoder-only decode at least this share of llama.cpp's, same weights.</summary>
    public const double Bar = 0.8;

    public int InputTokens { get; init; } = 512;
    public int OutputTokens { get; init; } = 128;
    public int Examples { get; init; } = 5;
    public int Warmup { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Seed { get; init; } = 1;
    public IReadOnlyList<OnnxWeights> OnnxWeights { get; init; } = [Export.Onnx.OnnxWeights.Fp32];
    public IReadOnlyList<GgmlType> LlamaWeights { get; init; } = [GgmlType.F32, GgmlType.F16];
    public string OnnxRoot { get; init; } = Path.Combine("artifacts", "onnx");
    public string GgufRoot { get; init; } = Path.Combine("artifacts", "gguf");
}

/// <summary>One runtime on one model: first-token latency, decode throughput, and prefill
/// throughput (input tokens over the mean first-token time: prompt evaluation for the
/// decoder-only, encoding plus the first decoder step for the encoder-decoder).</summary>
public sealed record PeerRow(
    [property: JsonPropertyName("runtime")] string Runtime,
    [property: JsonPropertyName("preset")] string Preset,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("weights")] string Weights,
    [property: JsonPropertyName("first_token_ms")] Stats FirstTokenMs,
    [property: JsonPropertyName("decode_tokens_per_s")] Stats DecodeTokensPerSecond,
    [property: JsonPropertyName("prefill_tokens_per_s")] double PrefillTokensPerSecond);

/// <summary>Ours over llama.cpp's: decode and prefill tokens/s ratios (above 1: we are faster).</summary>
public sealed record PeerRatio(
    [property: JsonPropertyName("ours")] string Ours,
    [property: JsonPropertyName("ours_weights")] string OursWeights,
    [property: JsonPropertyName("llama_cpp_weights")] string LlamaCppWeights,
    [property: JsonPropertyName("decode_ratio")] double DecodeRatio,
    [property: JsonPropertyName("prefill_ratio")] double PrefillRatio);

public sealed record PeerResult(
    [property: JsonPropertyName("input_tokens")] int InputTokens,
    [property: JsonPropertyName("output_tokens")] int OutputTokens,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("warmup")] int Warmup,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("rows")] IReadOnlyList<PeerRow> Rows,
    [property: JsonPropertyName("ratios")] IReadOnlyList<PeerRatio> Ratios,
    [property: JsonPropertyName("bar")] double Bar,
    [property: JsonPropertyName("bar_decode_ratio")] double BarDecodeRatio,
    [property: JsonPropertyName("bar_met")] bool BarMet,
    [property: JsonPropertyName("llama_cpp")] JsonNode? LlamaCpp,
    [property: JsonPropertyName("llama_cpp_results")] IReadOnlyList<LlamaCppResult> LlamaCppResults,
    [property: JsonPropertyName("onnx_results")] IReadOnlyList<LatencyResult> OnnxResults);

/// <summary>
/// Our ONNX Runtime loop against llama.cpp on the same Llama-style decoder-only weights (fp32 and
/// f16 GGUF exports of one seeded random model), the same prompts, lengths and threads; and the
/// Llama-style encoder-decoder's own numbers on our loop beside them (llama.cpp has no such model).
/// The bar compares like with like: our fp32 decode against llama.cpp's f32 decode.
/// </summary>
public static class PeerBench
{
    public static PeerResult Run(ModelConfig decoderOnly, ModelConfig? encoderDecoder, PeerOptions o, MachineCeilings machine, Action<string>? log = null)
    {
        decoderOnly = LlamaStyle.Of(decoderOnly);
        GgufExport.EnsureExportable(decoderOnly);
        var rows = new List<PeerRow>();
        var onnx = new List<LatencyResult>();
        var llama = new List<LlamaCppResult>();
        // One protocol for both runtimes: the same prompts, lengths, examples and threads.
        var protocol = new LatencyOptions
        {
            InputTokens = o.InputTokens, OutputTokens = o.OutputTokens, Examples = o.Examples, Warmup = o.Warmup,
            Threads = o.Threads, Seed = o.Seed, ExportRoot = o.OnnxRoot,
        };
        foreach (var dtype in o.LlamaWeights)
        {
            // Latency.Run builds its model with LanguageModel.Create(config, Seed): the same weights.
            var gguf = GgufExport.ExportOnce(decoderOnly, dtype, o.Seed, o.GgufRoot, log);
            var r = LlamaCppPeer.Bench(gguf, decoderOnly, dtype.ToString().ToLowerInvariant(), protocol, log);
            llama.Add(r);
            rows.Add(new PeerRow("llama.cpp", r.Preset, decoderOnly.Architecture.ToString(), r.Weights, r.FirstTokenMs, r.DecodeTokensPerSecond, Prefill(o, r.FirstTokenMs)));
        }
        var models = encoderDecoder is null ? [decoderOnly] : new[] { decoderOnly, LlamaStyle.Of(encoderDecoder) };
        foreach (var config in models)
            foreach (var w in o.OnnxWeights)
            {
                var r = Latency.Run(config, LatencyBackend.OnnxCpu, protocol with { Weights = w }, machine, log);
                onnx.Add(r);
                rows.Add(new PeerRow("onnxruntime", r.Preset, r.Architecture, r.Weights, r.FirstTokenMs, r.DecodeTokensPerSecond, Prefill(o, r.FirstTokenMs)));
            }
        var ratios = new List<PeerRatio>();
        foreach (var ours in rows.Where(r => r.Runtime == "onnxruntime"))
            foreach (var peer in rows.Where(r => r.Runtime == "llama.cpp"))
                ratios.Add(new PeerRatio($"{ours.Preset} onnxruntime", ours.Weights, peer.Weights,
                    ours.DecodeTokensPerSecond.Mean / peer.DecodeTokensPerSecond.Mean, ours.PrefillTokensPerSecond / peer.PrefillTokensPerSecond));
        var bar = ratios.FirstOrDefault(r => r.Ours.StartsWith(decoderOnly.Name + " ", StringComparison.Ordinal) && r.OursWeights == "fp32" && r.LlamaCppWeights == "f32");
        double barRatio = bar?.DecodeRatio ?? double.NaN;
        return new PeerResult(o.InputTokens, o.OutputTokens, o.Examples, o.Warmup, o.Threads, rows, ratios,
            PeerOptions.Bar, barRatio, barRatio >= PeerOptions.Bar, llama.FirstOrDefault()?.Runtime?.DeepClone(), llama, onnx);
    }

    static double Prefill(PeerOptions o, Stats firstTokenMs) => o.InputTokens / (firstTokenMs.Mean / 1000.0);

    public static Table RowsTable(PeerResult r)
    {
        var t = new Table("runtime", "preset", "weights", "first token ms (mean / median)", "prefill tok/s", "decode tok/s (mean / median)");
        foreach (var x in r.Rows)
            t.Add(x.Runtime, x.Preset, x.Weights, $"{x.FirstTokenMs.Mean:F0} / {x.FirstTokenMs.Median:F0}", x.PrefillTokensPerSecond.ToString("F0"),
                $"{x.DecodeTokensPerSecond.Mean:F1} / {x.DecodeTokensPerSecond.Median:F1}");
        return t;
    }

    public static Table RatiosTable(PeerResult r)
    {
        var t = new Table("ours", "our weights", "llama.cpp weights", "decode ratio", "prefill ratio");
        foreach (var x in r.Ratios) t.Add(x.Ours, x.OursWeights, x.LlamaCppWeights, $"{x.DecodeRatio:F2}x", $"{x.PrefillRatio:F2}x");
        return t;
    }

    public static string Summary(PeerResult r) =>
        $"bar: decoder-only fp32 decode at least {r.Bar:F1}x llama.cpp f32: {r.BarDecodeRatio:F2}x, {(r.BarMet ? "met" : "NOT met")}";
}
