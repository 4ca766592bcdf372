using System.Diagnostics;
using NotebookSlm.Data;
using NotebookSlm.Generation;
using NotebookSlm.Models;
using NotebookSlm.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSlm.Training;

/// <summary>Raised when the loss or the gradient norm stops being finite; names the step and
/// the last good checkpoint, which is left as it was.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>What a finished (or resumed and finished) run reports.</summary>
public sealed record TrainingSummary(int Steps, double FinalLoss, double BestValLoss, int BestStep, long SourceTokens, long TargetTokens,
    long Examples, double TrainSeconds, string OutputDir, string? LastCheckpoint);

/// <summary>
/// The training loop for every objective and both architectures: micro-batches accumulated
/// to the global batch with a token-weighted mean (so accumulation equals one big batch),
/// clipping, the schedule, periodic validation with sample generations, atomic checkpoints
/// at step boundaries and exact resume (weights, optimizer moments, libtorch's RNG, data
/// position, token counts).
/// </summary>
public sealed class Trainer
{
    readonly ILanguageModel model;
    readonly TrainingConfig config;
    readonly IReadOnlyList<TokenizedPair> train, validation;
    readonly ITokenizer tokenizer;
    readonly string outDir;
    // Batches are made where the model lives (a CUDA build of TorchSharp trains on the GPU as is).
    readonly Device device;

    /// <summary>Called after every optimizer step (the CLI's progress bar).</summary>
    public Action<StepLog>? OnStep { get; init; }
    public Action<EvalLog>? OnEval { get; init; }
    /// <summary>Lines for the console: the parameter groups at start, checkpoints, resume.</summary>
    public Action<string>? OnMessage { get; init; }
    /// <summary>Write TensorBoard event files beside metrics.jsonl.</summary>
    public bool TensorBoard { get; init; } = true;
    /// <summary>The training loss of one micro-batch, summed over its real target tokens (the
    /// trainer divides by the whole step's target tokens, so a step's loss is the mean of one big
    /// batch). Null: cross-entropy. Distillation supplies its own (alpha KD + (1 - alpha) CE).
    /// Validation stays cross-entropy on the reference targets.</summary>
    public Func<Seq2SeqBatch, Tensor>? Loss { get; init; }

    public string CheckpointsDir => Path.Combine(outDir, "checkpoints");

    public Trainer(ILanguageModel model, TrainingConfig config, ITokenizer tokenizer,
        IReadOnlyList<TokenizedPair> train, IReadOnlyList<TokenizedPair> validation, string outDir)
    {
        this.config = config.Validate();
        config.CheckFits(model.Config);
        if (train.Count == 0) throw new ArgumentException("no training examples");
        model.Config.CheckTokenizer(tokenizer, "training");
        this.model = model;
        this.tokenizer = tokenizer;
        this.train = train;
        this.validation = validation;
        this.outDir = outDir;
        device = model.Device();
    }

    BatchingOptions Batches(bool shuffle) => new()
    {
        BatchSize = config.MicroBatch, BucketBatches = shuffle ? config.BucketBatches : 1, Shuffle = shuffle, Seed = config.Seed,
        MaxSourceLength = config.MaxSourceLength, MaxTargetLength = config.MaxTargetLength,
    };

    /// <summary>Trains to <see cref="TrainingConfig.Steps"/>; with <paramref name="resume"/>, from
    /// the latest complete checkpoint in the output folder (none: from the start).</summary>
    public TrainingSummary Run(bool resume = false, CancellationToken cancel = default)
    {
        if (config.Threads > 0) torch.set_num_threads(config.Threads);
        Directory.CreateDirectory(outDir);
        using var optimizer = new TrainingOptimizer(model, config);
        var state = new TrainerState { Tokenizer = TokenizerInfo.Of(tokenizer) };
        var latest = resume ? TrainingCheckpoint.List(CheckpointsDir).LastOrDefault() : default;
        if (latest.Dir is not null)
        {
            state = TrainingCheckpoint.Restore(latest.Dir, model.Config, config, optimizer);
            if (state.Tokenizer is { } saved && saved != TokenizerInfo.Of(tokenizer))
                throw new Checkpoints.CheckpointException($"{latest.Dir}: trained with tokenizer {saved} but this run uses {TokenizerInfo.Of(tokenizer)}");
            OnMessage?.Invoke($"resumed from {latest.Dir} (step {state.Step}, {state.SourceTokens + state.TargetTokens:N0} tokens seen)");
        }
        else
        {
            torch.random.manual_seed(config.Seed);
            OnMessage?.Invoke(ParameterGroups.Summary(optimizer.Groups, config).ToText());
        }
        using var log = new MetricsLog(outDir, latest.Dir is null ? null : state.Step, TensorBoard);
        string? lastCheckpoint = latest.Dir;
        double lastLoss = double.NaN;
        var clock = Stopwatch.StartNew();
        double startSeconds = state.TrainSeconds;
        var epochBatches = Batching.Epoch(train, Batches(shuffle: true), state.Epoch).ToList();
        model.Module.train();

        while (state.Step < config.Steps)
        {
            cancel.ThrowIfCancellationRequested();
            var stepClock = Stopwatch.StartNew();
            // The micro-batches of this step, then the data position after them.
            var micro = new List<IReadOnlyList<TokenizedPair>>(config.AccumulationSteps);
            int epoch = state.Epoch, index = state.BatchIndex;
            while (micro.Count < config.AccumulationSteps)
            {
                if (index >= epochBatches.Count) { epoch++; index = 0; epochBatches = Batching.Epoch(train, Batches(true), epoch).ToList(); }
                micro.Add(epochBatches[index++]);
            }
            var (sourceTokens, targetTokens) = TrainingData.Tokens(micro.SelectMany(b => b));
            double loss;
            using (var lossScope = NewDisposeScope())
            {
                // Summed on the device and read once per step: one host round-trip, not one per micro-batch.
                var total = zeros(1, dtype: ScalarType.Float32, device: device);
                foreach (var batch in micro)
                {
                    using var scope = NewDisposeScope();
                    using var b = Seq2SeqBatch.From(batch, model.Config.PadId, device);
                    // Sum over real target tokens / the whole step's target tokens: the mean of one big batch.
                    var part = (Loss is null ? SummedLoss(b) : Loss(b)) / targetTokens;
                    part.backward();
                    total.add_(part.detach());
                }
                loss = total.item<float>();
            }
            if (!double.IsFinite(loss))
                throw Diverged($"step {state.Step + 1}: the loss is {loss}", lastCheckpoint);
            double norm = optimizer.Step(Schedules.Factor(config, state.Step), out bool finite);
            optimizer.ZeroGrad();
            if (!finite) throw Diverged($"step {state.Step + 1}: the gradient norm is {norm}", lastCheckpoint);
            lastLoss = loss;
            double seconds = stepClock.Elapsed.TotalSeconds;
            state = state with
            {
                Step = state.Step + 1, Epoch = epoch, BatchIndex = index,
                SourceTokens = state.SourceTokens + sourceTokens, TargetTokens = state.TargetTokens + targetTokens,
                Examples = state.Examples + micro.Sum(b => b.Count), TrainSeconds = startSeconds + clock.Elapsed.TotalSeconds,
            };
            var stepLog = new StepLog(state.Step, loss, optimizer.LastLr, norm, (sourceTokens + targetTokens) / seconds, seconds,
                sourceTokens, targetTokens, state.SourceTokens + state.TargetTokens, epoch);
            log.Train(stepLog);
            OnStep?.Invoke(stepLog);

            if (state.Step % config.EvalEvery == 0 || state.Step == config.Steps)
            {
                var eval = Evaluate(state.Step);
                log.Eval(eval);
                OnEval?.Invoke(eval);
                if (eval.ValLoss < state.BestValLoss) state = state with { BestValLoss = eval.ValLoss, BestStep = state.Step };
            }
            if (state.Step % config.CheckpointEvery == 0 || state.Step == config.Steps)
            {
                state = state with { TorchRng = TrainingCheckpoint.CaptureRng() };
                lastCheckpoint = TrainingCheckpoint.Save(CheckpointsDir, model.Config, config, optimizer, state);
                TrainingCheckpoint.Prune(CheckpointsDir, config.KeepLast, state.BestStep);
                OnMessage?.Invoke($"checkpoint {lastCheckpoint}");
            }
        }
        model.Module.eval();
        return new TrainingSummary(state.Step, lastLoss, state.BestValLoss, state.BestStep, state.SourceTokens, state.TargetTokens,
            state.Examples, state.TrainSeconds, outDir, lastCheckpoint);
    }

    TrainingDivergedException Diverged(string what, string? lastCheckpoint) =>
        new($"{what}; training stopped. " + (lastCheckpoint is null ? "No checkpoint was written yet." : $"The last good checkpoint is {lastCheckpoint}."));

    /// <summary>Cross-entropy summed over the real target tokens of a batch.</summary>
    Tensor SummedLoss(Seq2SeqBatch batch)
    {
        using var scope = NewDisposeScope();
        return LanguageModel.TokenCrossEntropy(model.TargetLogits(batch), batch.Target, batch.TargetMask, nn.Reduction.Sum)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Token-weighted validation loss (eval mode, no gradients) and greedy samples.
    /// Neither draws from an RNG, so evaluating does not change the training that follows.</summary>
    public EvalLog Evaluate(int step)
    {
        model.Module.eval();
        try
        {
            double sum = 0;
            long tokens = 0;
            using (no_grad())
            {
                List<IReadOnlyList<TokenizedPair>> batches = validation.Count == 0 ? [] : Batching.Epoch(validation, Batches(shuffle: false)).ToList();
                foreach (var batch in config.EvalBatches > 0 ? batches.Take(config.EvalBatches) : batches)
                {
                    using var scope = NewDisposeScope();
                    using var b = Seq2SeqBatch.From(batch, model.Config.PadId, device);
                    sum += SummedLoss(b).item<float>();
                    tokens += batch.Sum(p => p.Target.Length);
                }
            }
            var samples = new List<SampleLog>();
            var picked = validation.Take(config.Samples).ToList();
            if (picked.Count > 0)
            {
                var result = model.Generate(picked.Select(p => p.Source).ToList(), new GenerationOptions { MaxNewTokens = config.SampleTokens });
                for (int i = 0; i < picked.Count; i++)
                    samples.Add(new SampleLog(tokenizer.Decode(picked[i].Source), tokenizer.Decode(picked[i].Target), tokenizer.Decode(result.Tokens[i])));
            }
            return new EvalLog(step, tokens == 0 ? double.NaN : sum / tokens, samples);
        }
        finally { model.Module.train(); }
    }
}
