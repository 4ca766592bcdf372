using System.CommandLine;
using System.Text.Json;
using NotebookSlm.Benchmarks;
using NotebookSlm.Training;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm bench train</c>: one training configuration per process (so that its resident
/// memory is its own); progress on stderr, the measured row as one JSON line on stdout. The
/// grid (presets x precisions) and its results file are the Lab's train-bench study.</summary>
static class TrainBenchCommand
{
    public static Command Create()
    {
        var d = new TrainBenchOptions();
        var preset = new Option<string>("--preset") { DefaultValueFactory = _ => d.Preset };
        var precision = new Option<string>("--precision") { Description = "fp32 or bf16", DefaultValueFactory = _ => "fp32" };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => d.Steps };
        var microBatch = new Option<int>("--micro-batch") { DefaultValueFactory = _ => d.MicroBatch };
        var input = new Option<int>("--input") { Description = "source tokens per example", DefaultValueFactory = _ => d.InputTokens };
        var target = new Option<int>("--target") { Description = "target tokens per example", DefaultValueFactory = _ => d.TargetTokens };
        var threads = new Option<int>("--threads") { Description = "0: one per core", DefaultValueFactory = _ => 0 };
        var optimizer = new Option<string>("--optimizer") { Description = "muon or adamw", DefaultValueFactory = _ => "muon" };
        var memoryStep = new Option<int>("--memory-step") { Description = "step at which resident memory is read first", DefaultValueFactory = _ => d.MemoryStep };
        var warmup = new Option<int>("--warmup") { Description = "steps left out of the timing", DefaultValueFactory = _ => d.WarmupSteps };
        var teacher = new Option<string?>("--teacher") { Description = "a decoder-only preset to distil from (forward KL, alpha 0.5): the step becomes a distillation step" };
        var teacherOverride = new Option<string?>("--teacher-override") { Description = "the teacher's config changes, e.g. d_model=512,heads=8,kv_heads=4" };
        var cacheTeacher = new Option<bool>("--cache-teacher") { Description = "cache the teacher's logits on disk before the timed steps" };
        var cmd = new Command("train", "time the training step (tokens/s, MFU against the matmul peak, resident memory) of one preset and precision; prints JSON")
            { preset, precision, steps, microBatch, input, target, threads, optimizer, memoryStep, warmup, teacher, teacherOverride, cacheTeacher };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var o = new TrainBenchOptions
            {
                Preset = r.GetValue(preset)!, Precision = Parse<Precision>(r.GetValue(precision)!, "--precision"), Steps = r.GetValue(steps),
                MicroBatch = r.GetValue(microBatch), InputTokens = r.GetValue(input), TargetTokens = r.GetValue(target),
                Threads = r.GetValue(threads), Optimizer = Parse<OptimizerKind>(r.GetValue(optimizer)!, "--optimizer"),
                MemoryStep = r.GetValue(memoryStep), WarmupSteps = r.GetValue(warmup),
                Teacher = r.GetValue(teacher) is { } t ? Cli.Config(t, r.GetValue(teacherOverride)) : null,
                CacheTeacher = r.GetValue(cacheTeacher),
            };
            var row = TrainBench.Run(o, Console.Error.WriteLine);
            Console.Error.WriteLine($"{row.Preset} {row.Precision} distill {row.Distill}: {row.StepMsMedian:F1} ms/step, {row.TokensPerSecond:N0} tokens/s, " +
                                    $"{row.AchievedGflops:F1} of {row.PeakGflops:F1} GFLOP/s (MFU {row.Mfu:P0}), {row.RssMiBAtMemoryStep:F0} -> {row.RssMiBAtEnd:F0} MiB resident");
            Console.WriteLine(JsonSerializer.Serialize(row, new JsonSerializerOptions(Cli.Json) { WriteIndented = false }));
            return 0;
        }));
        return cmd;
    }

    static T Parse<T>(string text, string option) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var v) ? v
            : throw new ArgumentException($"{option} is '{text}'; expected {string.Join(" or ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
}
