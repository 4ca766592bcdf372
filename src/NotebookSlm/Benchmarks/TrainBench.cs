using NotebookSlm.Accounting;
using NotebookSlm.Data;
using NotebookSlm.Distillation;
using NotebookSlm.Models;
using NotebookSlm.Tokenization;
using NotebookSlm.Training;
using static TorchSharp.torch;

namespace NotebookSlm.Benchmarks;

/// <summary>One training benchmark configuration (one process each, so its memory is its own).</summary>
public sealed record TrainBenchOptions
{
    public string Preset { get; init; } = Presets.Tiny.EncDec2_3.Name;
    public Precision Precision { get; init; } = Precision.Fp32;
    public int Steps { get; init; } = 2000;
    public int MicroBatch { get; init; } = 8;
    /// <summary>Source tokens per example (the bar is stated at 256).</summary>
    public int InputTokens { get; init; } = 256;
    /// <summary>Target tokens per example; the decoder-only model reads source then target.</summary>
    public int TargetTokens { get; init; } = 64;
    /// <summary>libtorch threads for the steps and for the matmul peak (0: the machine's cores).</summary>
    public int Threads { get; init; }
    public int Seed { get; init; } = 1;
    /// <summary>Steps left out of the timing: allocator and libtorch warm-up.</summary>
    public int WarmupSteps { get; init; } = 10;
    /// <summary>The step at which resident memory is read the first time (then at the last).</summary>
    public int MemoryStep { get; init; } = 100;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Muon;
    /// <summary>A decoder-only teacher to distil from (issue 12 point 8): the step is then the
    /// <see cref="Distiller"/>'s (forward KL, alpha 0.5, reference targets) instead of plain
    /// fine-tuning cross-entropy. Null: no distillation.</summary>
    public ModelConfig? Teacher { get; init; }
    /// <summary>Read the teacher's logits from a <see cref="CachedTeacher"/> filled before the timed
    /// steps, instead of running the teacher every step.</summary>
    public bool CacheTeacher { get; init; }

    public TrainBenchOptions Validate()
    {
        if (Teacher is { IsEncoderDecoder: true }) throw new ArgumentException($"teacher {Teacher.Name} is an encoder-decoder; distillation teachers are decoder-only");
        if (CacheTeacher && Teacher is null) throw new ArgumentException("a cached teacher needs a teacher");
        if (Steps <= WarmupSteps) throw new ArgumentException($"steps ({Steps}) must exceed the {WarmupSteps} warm-up steps left out of the timing");
        if (MicroBatch < 1 || InputTokens < 1 || TargetTokens < 1) throw new ArgumentException("micro batch, input and target tokens must be at least 1");
        return this;
    }
}

/// <summary>What one configuration measured. Model FLOPs are <see cref="CostModel.TrainingStepFlops"/>
/// (forward and backward of the model's matrix products; optimizer work, Muon's Newton-Schulz
/// included, is not counted, as MFU is usually stated); the peak is a square fp32 or bf16
/// matmul in libtorch with the same threads, the best of its runs before and after the steps.
/// <see cref="Distill"/> is <c>none</c>, <c>teacher</c> (the teacher's forward runs every step:
/// its FLOPs, <see cref="TeacherGflopPerStep"/>, are part of <see cref="ModelGflopPerStep"/>) or
/// <c>cached</c> (its logits come from disk, filled in <see cref="TeacherCacheSeconds"/> before
/// the steps). Resident memory: <see cref="RssMiB"/> after every step (read outside the step's
/// timing), <see cref="RssMiBAtLastStep"/> after the last step and before the run's closing
/// evaluation and checkpoint, <see cref="RssMiBAtEnd"/> after them.</summary>
public sealed record TrainBenchRow(
    string Preset, string Architecture, long Parameters, string Precision, string Optimizer, int Threads,
    int InputTokens, int TargetTokens, int MicroBatch, int Steps, int TimedSteps,
    double StepMsMedian, double StepMsP90, double TokensPerSecond,
    double ModelGflopPerStep, double AchievedGflops, double PeakGflops, double Mfu,
    double RssMiBAtMemoryStep, int MemoryStep, double RssMiBAtEnd, double HighWaterMiB,
    double FirstLoss, double FinalLoss, IReadOnlyList<double> Losses,
    string Distill = "none", long TeacherParameters = 0, double TeacherGflopPerStep = 0, double TeacherCacheSeconds = 0,
    double RssMiBAtLastStep = double.NaN, IReadOnlyList<double>? RssMiB = null);

/// <summary>
/// <c>slm bench train</c>: the real training step (<see cref="Trainer"/>: batching, forward,
/// backward, clipping, the optimizer) timed step by step on random token pairs of fixed
/// lengths, for one preset and precision, against the matmul peak measured in the same
/// process; resident memory at <see cref="TrainBenchOptions.MemoryStep"/> and at the end
/// shows whether dispose scopes keep it flat over thousands of steps.
/// </summary>
public static class TrainBench
{
    public static TrainBenchRow Run(TrainBenchOptions o, Action<string>? log = null)
    {
        o.Validate();
        Runtime.TorchRuntime.EnsureLoaded();
        int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
        set_num_threads(threads);
        var config = Presets.Get(o.Preset);
        // The presets keep the default special ids (pad 0, bos 1, eos 2), which the byte
        // tokenizer shares; token ids are drawn over the preset's whole vocabulary.
        var tokenizer = new ByteTokenizer();
        var model = LanguageModel.Create(config, o.Seed);
        var pairs = RandomPairs(config.VocabSize, config.EosId, 64 * o.MicroBatch, o.InputTokens, o.TargetTokens, o.Seed);
        var dtype = o.Precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        double peakBefore = MachineProbe.MatmulGflops(threads, dtype: dtype);
        log?.Invoke($"{o.Preset} {o.Precision}: matmul peak {peakBefore:F1} GFLOP/s on {threads} threads");

        // Distillation: the teacher is built (random weights: a step's cost does not depend on
        // them) with the student's vocabulary and special ids, once per process.
        Func<Seq2SeqBatch, Tensor>? loss = null;
        long teacherParameters = 0;
        double teacherFlopsPerStep = 0, cacheSeconds = 0;
        var dir = Path.Combine(Path.GetTempPath(), $"notebookslm-bench-train-{Guid.NewGuid():N}");
        if (o.Teacher is { } tc)
        {
            var teacherConfig = tc with { VocabSize = config.VocabSize, PadId = config.PadId, BosId = config.BosId, EosId = config.EosId };
            teacherParameters = ParameterCounts.Of(teacherConfig).Total;
            ITeacher teacher = new ModelTeacher(LanguageModel.Create(teacherConfig, o.Seed + 1));
            if (o.CacheTeacher)
            {
                var cached = new CachedTeacher(teacher, Path.Combine(dir, "teacher-logits"));
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < pairs.Count; i += o.MicroBatch)
                {
                    using var scope = NewDisposeScope();
                    using var b = Seq2SeqBatch.From(pairs.Skip(i).Take(o.MicroBatch).ToList(), config.PadId, model.Device());
                    cached.TargetLogits(b);
                }
                cacheSeconds = clock.Elapsed.TotalSeconds;
                log?.Invoke($"{o.Preset}: teacher {teacherConfig.Name} ({teacherParameters / 1e6:F1}M) logits of {pairs.Count} pairs cached in {cacheSeconds:F1} s");
                teacher = cached;
            }
            else
                teacherFlopsPerStep = new CostModel(teacherConfig).TrainingForwardFlops(o.InputTokens, o.TargetTokens) * o.MicroBatch;
            loss = new Distiller(model, teacher, new DistillConfig(), o.TargetTokens).SummedLoss;
        }

        var training = new TrainingConfig
        {
            Optimizer = o.Optimizer, Steps = o.Steps, WarmupSteps = Math.Min(100, o.Steps / 10), MicroBatch = o.MicroBatch, GlobalBatch = o.MicroBatch,
            Precision = o.Precision, MaxSourceLength = o.InputTokens, MaxTargetLength = o.TargetTokens, Seed = o.Seed,
            EvalEvery = o.Steps, EvalBatches = 1, Samples = 0, CheckpointEvery = int.MaxValue, KeepLast = 1, Threads = threads, BucketBatches = 1,
        };
        var steps = new List<StepLog>(o.Steps);
        var rss = new List<double>(o.Steps);
        double rssAtStep = double.NaN;
        try
        {
            var trainer = new Trainer(model, training, tokenizer, pairs, pairs.Take(o.MicroBatch).ToList(), dir)
            {
                TensorBoard = false,
                Loss = loss,
                OnStep = s =>
                {
                    steps.Add(s);
                    rss.Add(PeakMemory.ResidentMiB());
                    if (s.Step == o.MemoryStep) rssAtStep = rss[^1];
                    if (s.Step % Math.Max(1, o.Steps / 10) == 0) log?.Invoke($"  step {s.Step}: loss {s.Loss:F4}, {s.StepSeconds * 1000:F1} ms, {PeakMemory.ResidentMiB():F0} MiB resident");
                },
            };
            trainer.Run();
        }
        finally { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } }
        double rssAtEnd = PeakMemory.ResidentMiB();
        double peak = Math.Max(peakBefore, MachineProbe.MatmulGflops(threads, dtype: dtype));

        var timed = steps.Skip(o.WarmupSteps).Select(s => s.StepSeconds * 1000).OrderBy(x => x).ToList();
        double median = timed[timed.Count / 2], p90 = timed[Math.Min(timed.Count - 1, (int)(timed.Count * 0.9))];
        double flopsPerStep = new CostModel(config).TrainingStepFlops(o.InputTokens, o.TargetTokens) * o.MicroBatch + teacherFlopsPerStep;
        double achieved = flopsPerStep / (median / 1000) / 1e9;
        double tokensPerSecond = o.MicroBatch * (double)(o.InputTokens + o.TargetTokens) / (median / 1000);
        return new TrainBenchRow(config.Name, config.Architecture.ToString(), ParameterCounts.Of(config).Total, o.Precision.ToString().ToLowerInvariant(),
            o.Optimizer.ToString().ToLowerInvariant(), threads, o.InputTokens, o.TargetTokens, o.MicroBatch, o.Steps, timed.Count,
            median, p90, tokensPerSecond, flopsPerStep / 1e9, achieved, peak, achieved / peak,
            o.MemoryStep <= o.Steps ? rssAtStep : double.NaN, o.MemoryStep, rssAtEnd, PeakMemory.HighWaterMiB(),
            steps[0].Loss, steps[^1].Loss, steps.Select(s => s.Loss).ToList(),
            o.Teacher is null ? "none" : o.CacheTeacher ? "cached" : "teacher", teacherParameters, teacherFlopsPerStep / 1e9, cacheSeconds,
            rss[^1], rss);
    }

    /// <summary>Pairs of exactly <paramref name="source"/> and <paramref name="target"/> tokens
    /// (the target's last one EOS, as <see cref="Batching.Tokenize"/> ends it), ids drawn
    /// uniformly past the special ids with a seeded generator.</summary>
    public static List<TokenizedPair> RandomPairs(int vocab, int eosId, int count, int source, int target, int seed)
    {
        var rng = new Random(seed);
        int[] Row(int n, bool eos) => Enumerable.Range(0, n).Select(i => eos && i == n - 1 ? eosId : rng.Next(4, vocab)).ToArray();
        return Enumerable.Range(0, count).Select(_ => new TokenizedPair(Row(source, false), Row(target, true))).ToList();
    }
}
