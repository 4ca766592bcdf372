using NotebookSlm.Models;
using System.Text.Json.Serialization;
using NotebookSlm.Runtime;

namespace NotebookSlm.Training;

/// <summary>What the model learns from a batch (paper 3.3).</summary>
public enum Objective
{
    /// <summary>T5 span corruption (15% noise, mean span 3): the encoder-decoder's pretraining.</summary>
    SpanCorruption,
    /// <summary>Next-token prediction over document chunks: the decoder-only's uniform
    /// autoregressive pretraining over the same documents.</summary>
    CausalLm,
    /// <summary>A decoder-only model reads the span-corrupted input as a prefix and learns the
    /// target (loss on the target only; the prefix keeps the causal mask).</summary>
    PrefixLm,
    /// <summary>Fine-tuning: source to target cross-entropy (decoder-only: source then target,
    /// loss on the target tokens only).</summary>
    Seq2Seq,
}

public enum OptimizerKind { AdamW, Muon }

/// <summary>Learning-rate shape: warmup then cosine (the paper), warmup-stable-decay (Mu's
/// product recipe), or warmup then constant.</summary>
public enum ScheduleKind { Cosine, Wsd, Constant }

/// <summary>How Muon's orthogonal update is scaled: Keller Jordan's sqrt(max(1, rows/cols)) at
/// its own learning rate, or Moonshot's 0.2 * sqrt(max(rows, cols)) so that AdamW's learning
/// rate and weight decay carry over (the paper uses one lr, 3e-4).</summary>
public enum MuonScaling { Moonshot, Keller }

public enum Precision { Fp32, Bf16 }

/// <summary>
/// One immutable description of a training run; the defaults are the paper's recipe (3.3)
/// where it gives one. Accumulation steps are derived from the global and micro batch sizes,
/// never stored. Read from JSON (unknown keys are errors) and changed by <c>key=value</c>
/// overrides, like <see cref="ModelConfig"/>.
/// </summary>
public sealed record TrainingConfig
{
    public Objective Objective { get; init; } = Objective.Seq2Seq;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Muon;
    /// <summary>Peak learning rate (paper: 3e-4).</summary>
    public double Lr { get; init; } = 3e-4;
    public MuonScaling MuonScaling { get; init; } = MuonScaling.Moonshot;
    /// <summary>Muon's learning rate under Keller scaling (his default 0.02); Moonshot scaling uses <see cref="Lr"/>.</summary>
    public double MuonLr { get; init; } = 0.02;
    public double Momentum { get; init; } = 0.95;
    public bool Nesterov { get; init; } = true;
    public int NewtonSchulzSteps { get; init; } = 5;
    /// <summary>AdamW betas of the released trainer (0.9, 0.98).</summary>
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.98;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Decoupled weight decay, applied to tensors of two or more dimensions only (as released).</summary>
    public double WeightDecay { get; init; } = 0.01;
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;
    /// <summary>Paper: 2000 warmup steps (of optimizer steps).</summary>
    public int WarmupSteps { get; init; } = 2000;
    /// <summary>Optimizer steps in the whole run.</summary>
    public int Steps { get; init; } = 10000;
    /// <summary>WSD: the final fraction of steps over which the rate decays linearly.</summary>
    public double DecayFraction { get; init; } = 0.2;
    /// <summary>The rate at the end of the decay, as a fraction of the peak.</summary>
    public double MinLrRatio { get; init; }
    /// <summary>Examples per forward/backward pass.</summary>
    public int MicroBatch { get; init; } = 8;
    /// <summary>Examples per optimizer step (paper: 32 per GPU, by gradient accumulation).</summary>
    public int GlobalBatch { get; init; } = 32;
    /// <summary>Gradient clipping by global L2 norm; 0 turns it off.</summary>
    public double ClipNorm { get; init; } = 1.0;
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Paper 3.3: inputs up to 1024 tokens, outputs up to 256.</summary>
    public int MaxSourceLength { get; init; } = 1024;
    public int MaxTargetLength { get; init; } = 256;
    /// <summary>Pretraining: the corrupted input length (T5's arithmetic gives the raw chunk
    /// and target lengths); causal LM chunks are the same raw length, so both architectures
    /// read the same tokens.</summary>
    public int InputLength { get; init; } = 512;
    public double NoiseDensity { get; init; } = 0.15;
    public double MeanSpanLength { get; init; } = 3.0;
    /// <summary>Fixes initialisation, data order, dropout and sampling.</summary>
    public int Seed { get; init; }
    /// <summary>Sort examples by length within pools of this many micro-batches (1: off).</summary>
    public int BucketBatches { get; init; } = 50;
    public int EvalEvery { get; init; } = 200;
    /// <summary>Validation batches per evaluation (0: the whole validation set).</summary>
    public int EvalBatches { get; init; }
    /// <summary>Greedy generations logged at each evaluation.</summary>
    public int Samples { get; init; } = 2;
    public int SampleTokens { get; init; } = 32;
    public int CheckpointEvery { get; init; } = 500;
    /// <summary>Checkpoints kept besides the best one.</summary>
    public int KeepLast { get; init; } = 2;
    /// <summary>libtorch intra-op threads; 0 keeps the process default.</summary>
    public int Threads { get; init; }

    /// <summary>A copy with some fields changed, for F# (which cannot use C#'s <c>with</c> on
    /// init-only properties): <c>c.With(steps = 100, lr = 1e-3)</c>.</summary>
    public TrainingConfig With(
        Objective? objective = null,
        OptimizerKind? optimizer = null,
        double? lr = null,
        MuonScaling? muonScaling = null,
        double? muonLr = null,
        double? momentum = null,
        bool? nesterov = null,
        int? newtonSchulzSteps = null,
        double? beta1 = null,
        double? beta2 = null,
        double? eps = null,
        double? weightDecay = null,
        ScheduleKind? schedule = null,
        int? warmupSteps = null,
        int? steps = null,
        double? decayFraction = null,
        double? minLrRatio = null,
        int? microBatch = null,
        int? globalBatch = null,
        double? clipNorm = null,
        Precision? precision = null,
        int? maxSourceLength = null,
        int? maxTargetLength = null,
        int? inputLength = null,
        double? noiseDensity = null,
        double? meanSpanLength = null,
        int? seed = null,
        int? bucketBatches = null,
        int? evalEvery = null,
        int? evalBatches = null,
        int? samples = null,
        int? sampleTokens = null,
        int? checkpointEvery = null,
        int? keepLast = null,
        int? threads = null) =>
        this with
        {
            Objective = objective ?? Objective,
            Optimizer = optimizer ?? Optimizer,
            Lr = lr ?? Lr,
            MuonScaling = muonScaling ?? MuonScaling,
            MuonLr = muonLr ?? MuonLr,
            Momentum = momentum ?? Momentum,
            Nesterov = nesterov ?? Nesterov,
            NewtonSchulzSteps = newtonSchulzSteps ?? NewtonSchulzSteps,
            Beta1 = beta1 ?? Beta1,
            Beta2 = beta2 ?? Beta2,
            Eps = eps ?? Eps,
            WeightDecay = weightDecay ?? WeightDecay,
            Schedule = schedule ?? Schedule,
            WarmupSteps = warmupSteps ?? WarmupSteps,
            Steps = steps ?? Steps,
            DecayFraction = decayFraction ?? DecayFraction,
            MinLrRatio = minLrRatio ?? MinLrRatio,
            MicroBatch = microBatch ?? MicroBatch,
            GlobalBatch = globalBatch ?? GlobalBatch,
            ClipNorm = clipNorm ?? ClipNorm,
            Precision = precision ?? Precision,
            MaxSourceLength = maxSourceLength ?? MaxSourceLength,
            MaxTargetLength = maxTargetLength ?? MaxTargetLength,
            InputLength = inputLength ?? InputLength,
            NoiseDensity = noiseDensity ?? NoiseDensity,
            MeanSpanLength = meanSpanLength ?? MeanSpanLength,
            Seed = seed ?? Seed,
            BucketBatches = bucketBatches ?? BucketBatches,
            EvalEvery = evalEvery ?? EvalEvery,
            EvalBatches = evalBatches ?? EvalBatches,
            Samples = samples ?? Samples,
            SampleTokens = sampleTokens ?? SampleTokens,
            CheckpointEvery = checkpointEvery ?? CheckpointEvery,
            KeepLast = keepLast ?? KeepLast,
            Threads = threads ?? Threads,
        };

    /// <summary>Micro-batches per optimizer step.</summary>
    [JsonIgnore] public int AccumulationSteps => GlobalBatch / Math.Max(MicroBatch, 1);

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        void Need(bool ok, string msg) { if (!ok) p.Add(msg); }
        Need(Lr > 0, $"lr must be positive (got {Lr})");
        Need(MuonLr > 0, $"muon_lr must be positive (got {MuonLr})");
        Need(Momentum is >= 0 and < 1, $"momentum must be in [0, 1) (got {Momentum})");
        Need(NewtonSchulzSteps >= 1, $"newton_schulz_steps must be at least 1 (got {NewtonSchulzSteps})");
        Need(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, $"beta1 and beta2 must be in [0, 1) (got {Beta1}, {Beta2})");
        Need(Eps > 0, $"eps must be positive (got {Eps})");
        Need(WeightDecay >= 0, $"weight_decay must not be negative (got {WeightDecay})");
        Need(Steps >= 1, $"steps must be at least 1 (got {Steps})");
        Need(WarmupSteps >= 0, $"warmup_steps must not be negative (got {WarmupSteps})");
        Need(DecayFraction is > 0 and <= 1, $"decay_fraction must be in (0, 1] (got {DecayFraction})");
        Need(MinLrRatio is >= 0 and <= 1, $"min_lr_ratio must be in [0, 1] (got {MinLrRatio})");
        Need(MicroBatch >= 1, $"micro_batch must be at least 1 (got {MicroBatch})");
        Need(GlobalBatch >= MicroBatch && GlobalBatch % Math.Max(MicroBatch, 1) == 0,
            $"global_batch ({GlobalBatch}) must be a multiple of micro_batch ({MicroBatch})");
        Need(ClipNorm >= 0, $"clip_norm must not be negative (got {ClipNorm})");
        Need(MaxSourceLength >= 1 && MaxTargetLength >= 2, $"max_source_length must be at least 1 and max_target_length at least 2 (got {MaxSourceLength}, {MaxTargetLength})");
        Need(InputLength >= 8, $"input_length must be at least 8 (got {InputLength})");
        Need(NoiseDensity is > 0 and < 1, $"noise_density must be in (0, 1) (got {NoiseDensity})");
        Need(MeanSpanLength >= 1, $"mean_span_length must be at least 1 (got {MeanSpanLength})");
        Need(BucketBatches >= 1, $"bucket_batches must be at least 1 (got {BucketBatches})");
        Need(EvalEvery >= 1 && CheckpointEvery >= 1, $"eval_every and checkpoint_every must be at least 1 (got {EvalEvery}, {CheckpointEvery})");
        Need(EvalBatches >= 0 && Samples >= 0 && SampleTokens >= 1, "eval_batches and samples must not be negative, sample_tokens at least 1");
        Need(KeepLast >= 1, $"keep_last must be at least 1 (got {KeepLast})");
        Need(Threads >= 0, $"threads must not be negative (got {Threads})");
        return p;
    }

    public TrainingConfig Validate()
    {
        var p = Problems();
        return p.Count == 0 ? this : throw new ConfigException("invalid training config: " + string.Join("; ", p));
    }

    /// <summary>Whether the objective suits the architecture: span corruption and seq2seq for
    /// encoder-decoders; causal LM, prefix LM and seq2seq for decoder-only models.</summary>
    public void CheckFits(ModelConfig model)
    {
        bool ok = Objective switch
        {
            Objective.SpanCorruption => model.IsEncoderDecoder,
            Objective.CausalLm or Objective.PrefixLm => !model.IsEncoderDecoder,
            _ => true,
        };
        if (!ok) throw new ConfigException($"objective {Objective} does not fit {model.Architecture} model '{model.Name}': "
            + "encoder-decoders pretrain with span_corruption, decoder-only models with causal_lm or prefix_lm");
    }

    public string ToJson() => JsonRecords.ToJson(this);

    public static TrainingConfig FromJson(string json, string source = "training config") =>
        JsonRecords.FromJson<TrainingConfig>(json, source, m => new ConfigException(m)).Validate();

    public static TrainingConfig Load(string path) =>
        File.Exists(path) ? FromJson(File.ReadAllText(path), path) : throw new FileNotFoundException($"{path}: training config not found", path);

    public TrainingConfig WithOverrides(IEnumerable<KeyValuePair<string, string>> overrides) =>
        JsonRecords.WithOverrides(this, overrides, (j, s) => FromJson(j, s), m => new ConfigException(m));

    public static IReadOnlyList<string> KeyNames => JsonRecords.Keys(new TrainingConfig());
}
