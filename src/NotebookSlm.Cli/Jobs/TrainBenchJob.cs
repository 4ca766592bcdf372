using System.Text.Json.Nodes;
using NotebookSlm.Benchmarks;
using NotebookSlm.Sweeps;
using NotebookSlm.Training;

namespace NotebookSlm.Cli.Jobs;

/// <summary>
/// <c>bench-train</c>: one configuration of the training benchmark (<see cref="TrainBench"/>) as a
/// sweep cell, so that the grid resumes where it stopped and every resident-memory reading is
/// its own process's. Configuration keys: <c>preset</c>, <c>optimizer</c> (muon or adamw),
/// <c>precision</c> (fp32 or bf16), <c>steps</c>, <c>micro_batch</c>, <c>input</c> and
/// <c>target</c> (tokens per example), <c>warmup</c> (steps left out of the timing),
/// <c>memory_step</c>, <c>seed</c>, <c>teacher</c> ({preset, model}: a decoder-only teacher to
/// distil from) and <c>teacher_cache</c> (true: its logits cached on disk before the steps). The
/// threads are the cell's CPUs.
/// </summary>
sealed class TrainBenchJob : ICellJob
{
    public const string Kind = "bench-train";

    static readonly string[] Keys = ["preset", "optimizer", "precision", "steps", "micro_batch", "input", "target", "warmup", "memory_step", "seed", "teacher", "teacher_cache", "profile"];

    public (object Parameters, object Results) Run(CellSpec cell, string workDir, int threads, Action<string> log)
    {
        var c = cell.Config;
        foreach (var key in c.Select(kv => kv.Key))
            if (!Keys.Contains(key)) throw new ArgumentException($"bench-train: unknown configuration key '{key}'; expected one of {string.Join(", ", Keys)}");
        var d = new TrainBenchOptions();
        Models.ModelConfig? teacher = c["teacher"] switch
        {
            null => null,
            JsonObject t => Models.Presets.Get(JobConfig.Str(Kind, t, "preset")).WithOverrides(JobConfig.Overrides(Kind, t["model"])),
            _ => throw new ArgumentException("bench-train: 'teacher' must be an object {preset, model}"),
        };
        bool cache = c["teacher_cache"] switch
        {
            null => false,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            _ => throw new ArgumentException("bench-train: 'teacher_cache' must be true or false"),
        };
        var o = new TrainBenchOptions
        {
            Preset = Str(c, "preset", d.Preset),
            Optimizer = Enum<OptimizerKind>(c, "optimizer", d.Optimizer), Precision = Enum<Precision>(c, "precision", d.Precision),
            Steps = Int(c, "steps", d.Steps), MicroBatch = Int(c, "micro_batch", d.MicroBatch),
            InputTokens = Int(c, "input", d.InputTokens), TargetTokens = Int(c, "target", d.TargetTokens),
            WarmupSteps = Int(c, "warmup", d.WarmupSteps), MemoryStep = Int(c, "memory_step", d.MemoryStep), Seed = Int(c, "seed", d.Seed),
            Threads = threads, Teacher = teacher, CacheTeacher = cache,
        }.Validate();
        var row = TrainBench.Run(o, log);
        log($"{row.Preset} {row.Optimizer} {row.Precision} distill {row.Distill}: {row.StepMsMedian:F1} ms/step, {row.TokensPerSecond:N0} tokens/s, MFU {row.Mfu:P0}, " +
            $"{row.RssMiBAtMemoryStep:F0} -> {row.RssMiBAtEnd:F0} MiB resident");
        return (o, row);
    }

    static string Str(JsonObject c, string key, string fallback) => c[key] is null ? fallback
        : c[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new ArgumentException($"bench-train: '{key}' must be a string");

    static int Int(JsonObject c, string key, int fallback) => c[key] is null ? fallback
        : c[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw new ArgumentException($"bench-train: '{key}' must be an integer");

    static T Enum<T>(JsonObject c, string key, T fallback) where T : struct, Enum
    {
        var text = Str(c, key, fallback.ToString());
        return System.Enum.TryParse<T>(text, ignoreCase: true, out var v) ? v
            : throw new ArgumentException($"bench-train: '{key}' is '{text}'; expected {string.Join(" or ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
    }
}
