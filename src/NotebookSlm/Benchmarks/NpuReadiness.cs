using System.Text.Json.Serialization;
using NotebookSlm.Reporting;
using NotebookSlm.Export.Onnx;
using NotebookSlm.Generation;
using NotebookSlm.Models;

namespace NotebookSlm.Benchmarks;

/// <summary>Sizes of the NPU-readiness study. Defaults: the paper's Table 2 lengths.</summary>
public sealed record NpuStudyOptions
{
    public int PromptLength { get; init; } = 512;
    public int OutputTokens { get; init; } = 128;
    /// <summary>Greedy tokens generated per calibration prompt (every step's activations count).</summary>
    public int CalibrationTokens { get; init; } = 8;
    /// <summary>Greedy tokens compared per evaluation prompt.</summary>
    public int AgreementTokens { get; init; } = 16;
    /// <summary>Timed generations (of OutputTokens) per variant, after one warm-up.</summary>
    public int SpeedExamples { get; init; } = 3;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Seed { get; init; } = 1;
    public string WorkRoot { get; init; } = Path.Combine("artifacts", "onnx-static");
}

/// <summary>One exported variant against the fp32 static graphs.</summary>
public sealed record NpuVariantResult(
    [property: JsonPropertyName("quantization")] string Quantization,
    [property: JsonPropertyName("weight_bytes")] long WeightBytes,
    [property: JsonPropertyName("max_abs_logit_error")] double MaxAbsLogitError,
    [property: JsonPropertyName("mean_relative_logit_error")] double MeanRelativeLogitError,
    [property: JsonPropertyName("top1_agreement_forced")] double Top1AgreementForced,
    [property: JsonPropertyName("greedy_token_agreement")] double GreedyTokenAgreement,
    [property: JsonPropertyName("greedy_exact_sequences")] double GreedyExactSequences,
    [property: JsonPropertyName("first_token_ms")] Stats FirstTokenMs,
    [property: JsonPropertyName("decode_tokens_per_s")] Stats DecodeTokensPerSecond);

public sealed record NpuStudyResult(
    [property: JsonPropertyName("preset")] string Preset,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("prompt_length")] int PromptLength,
    [property: JsonPropertyName("output_tokens")] int OutputTokens,
    [property: JsonPropertyName("calibration_prompts")] int CalibrationPrompts,
    [property: JsonPropertyName("evaluation_prompts")] int EvaluationPrompts,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("quantization_points")] int QuantizationPoints,
    [property: JsonPropertyName("variants")] IReadOnlyList<NpuVariantResult> Variants);

/// <summary>
/// Issue 4 point 6 measured on this CPU: the static fp32 graphs, and the A8W8 and A16W8 QDQ
/// graphs calibrated on <c>calibration</c> prompts, compared on held-apart <c>evaluation</c>
/// prompts. Accuracy: logit error and top-1 agreement along the fp32 graphs' own greedy path
/// (teacher forcing, so one early flip does not decide every later position), then free greedy
/// agreement. Speed: first-token latency and decode throughput under ONNX Runtime's CPU
/// provider, which runs QDQ as the NPU would not (see README: NPU-ready export).
/// </summary>
public static class NpuReadiness
{
    public static NpuStudyResult Run(ModelConfig config, IReadOnlyList<int[]> calibration, IReadOnlyList<int[]> evaluation,
        NpuStudyOptions o, Action<string>? log = null)
    {
        if (calibration.Count == 0 || evaluation.Count == 0) throw new ArgumentException("the study needs calibration and evaluation prompts");
        var model = LanguageModel.Create(config, o.Seed);
        var root = Path.Combine(o.WorkRoot, $"{config.Name}-s{o.PromptLength}-n{o.OutputTokens}-seed{o.Seed}");
        var baseOptions = new StaticExportOptions { PromptLength = o.PromptLength, MaxNewTokens = o.OutputTokens };
        var runtime = new OnnxRuntimeOptions { Threads = o.Threads };
        try
        {
            log?.Invoke($"{config.Name}: calibrating on {calibration.Count} prompts");
            var ranges = StaticExport.Calibrate(model, baseOptions, calibration, o.CalibrationTokens, root, o.Threads);
            var exports = new[] { QdqMode.None, QdqMode.A8W8, QdqMode.A16W8 }.Select(mode =>
            {
                var dir = Path.Combine(root, mode.ToString().ToLowerInvariant());
                var r = StaticExport.Save(model, dir, baseOptions.With(mode, mode == QdqMode.None ? null : ranges));
                return (Mode: mode, Dir: dir, Bytes: r.WeightBytes.Values.Sum());
            }).ToList();

            using var reference = new StaticOnnxModel(exports[0].Dir, runtime);
            int steps = Math.Min(o.AgreementTokens, o.OutputTokens);
            var paths = evaluation.Select(p => reference.Generate([p], GenerationOptions.Exactly(steps)).Tokens[0]).ToList();
            // Teacher forcing along fp32's path: every token but the last is fed back, one a step.
            var forced = paths.Select(path => path.Take(steps - 1).Select(t => new[] { (long)t }).ToArray()).ToList();
            var referenceLogits = evaluation.Select((p, i) => reference.ForcedLogits([p], forced[i])).ToList();

            var variants = new List<NpuVariantResult>();
            foreach (var (mode, dir, bytes) in exports)
            {
                using var own = mode == QdqMode.None ? null : new StaticOnnxModel(dir, runtime);
                var runner = own ?? reference;
                double maxAbs = 0, relSum = 0, top1 = 0, agree = 0, exact = 0;
                int positions = 0;
                for (int i = 0; i < evaluation.Count; i++)
                {
                    var logits = runner.ForcedLogits([evaluation[i]], forced[i]);
                    for (int s = 0; s < logits.Count; s++)
                    {
                        var (r, q) = (referenceLogits[i][s], logits[s]);
                        double err = 0, scale = 0;
                        for (int j = 0; j < r.Length; j++) { err = Math.Max(err, Math.Abs(r[j] - q[j])); scale = Math.Max(scale, Math.Abs(r[j])); }
                        maxAbs = Math.Max(maxAbs, err);
                        relSum += err / Math.Max(scale, 1e-12);
                        if (Sampling.ArgMax(r) == Sampling.ArgMax(q)) top1++;
                        positions++;
                    }
                    var free = runner.Generate([evaluation[i]], GenerationOptions.Exactly(steps)).Tokens[0];
                    int same = free.Zip(paths[i]).Count(z => z.First == z.Second);
                    agree += same / (double)steps;
                    if (same == steps) exact++;
                }
                log?.Invoke($"{config.Name} {mode}: top-1 {top1 / positions:P1}, greedy agreement {agree / evaluation.Count:P1}; timing");
                runner.Generate([evaluation[0]], GenerationOptions.Exactly(o.OutputTokens));                              // warm-up
                var timed = Enumerable.Range(0, o.SpeedExamples).Select(e => runner.Generate([evaluation[e % evaluation.Count]], GenerationOptions.Exactly(o.OutputTokens))).ToList();
                variants.Add(new NpuVariantResult(mode.ToString().ToLowerInvariant(), bytes, maxAbs, relSum / positions, top1 / positions,
                    agree / evaluation.Count, exact / evaluation.Count,
                    Stats.Of(timed.Select(t => t.FirstTokenMs).ToList()), Stats.Of(timed.Select(t => t.DecodeTokensPerSecond).ToList())));
            }
            return new NpuStudyResult(config.Name, config.Architecture.ToString(), o.PromptLength, o.OutputTokens, calibration.Count,
                evaluation.Count, o.Threads, ranges.Count, variants);
        }
        finally { model.Module.Dispose(); }
    }
}
