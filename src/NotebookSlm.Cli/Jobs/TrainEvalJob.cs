using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookSlm.Checkpoints;
using NotebookSlm.Corpora;
using NotebookSlm.Data;
using NotebookSlm.Data.Readers;
using NotebookSlm.Models;
using NotebookSlm.Runtime;
using NotebookSlm.Sweeps;
using NotebookSlm.Tokenization;
using NotebookSlm.Training;

namespace NotebookSlm.Cli.Jobs;

/// <summary>
/// <c>train-eval</c>: one model pretrained on a documents corpus, then fine-tuned from those
/// weights on each task and scored on its validation split: one cell of the split-ratio study
/// (Table 1's Seq2Seq rows, Figure 2). Configuration keys:
/// <list type="bullet">
/// <item><c>preset</c>, <c>model</c> (ModelConfig overrides, e.g. <c>{"d_model": "192"}</c>), <c>seed</c>;</item>
/// <item><c>tokenizer</c> (as <c>--tokenizer</c>), <c>pretrain_data</c> (a documents corpus folder),
/// <c>documents</c> (how many training documents to read; 0: all), <c>tasks</c> (task corpus folders);</item>
/// <item><c>pretrain</c> and <c>finetune</c>: TrainingConfig overrides (the paper's recipe otherwise);
/// the pretraining objective is the paper's per architecture unless named;</item>
/// <item><c>eval_examples</c>, <c>max_new_tokens</c>.</item>
/// </list>
/// Every phase resumes from the work folder: pretraining and each fine-tuning from their last
/// checkpoint (exactly), finished phases from their saved summaries.
/// </summary>
sealed class TrainEvalJob : ICellJob
{
    public const string Kind = "train-eval";

    public (object Parameters, object Results) Run(CellSpec cell, string workDir, int threads, Action<string> log)
    {
        TorchRuntime.EnsureLoaded();
        var c = cell.Config;
        var tok = AutoTokenizer.Load(Resolve(Str(c, "tokenizer")));
        int seed = Int(c, "seed", 0);
        var model = ModelOf(Kind, c, tok);
        var pretrainConfig = PretrainConfig(Kind, c["pretrain"], model, seed, threads);
        var finetuneConfig = FinetuneConfig(Kind, c["finetune"], model, seed, threads);

        var pretrainedDir = Path.Combine(workDir, "pretrained");
        var pretraining = Pretrain(c, model, tok, pretrainConfig, seed, workDir, pretrainedDir, log);
        var tasks = new JsonArray();
        foreach (var taskNode in (c["tasks"] as JsonArray) ?? throw new ArgumentException("train-eval: 'tasks' must be a list of task corpus folders"))
            tasks.Add(FinetuneAndScore(c, pretrainedDir, tok, finetuneConfig, Resolve(taskNode!.GetValue<string>()), workDir, log));
        var parameters = new
        {
            model, pretrain = pretrainConfig, finetune = finetuneConfig,
            parameter_count = Accounting.ParameterCounts.Of(model).Total, tokenizer = tok.Name,
        };
        return (parameters, new { pretraining, tasks });
    }

    /// <summary>The cell's model: <c>preset</c> with <c>model</c> overrides, for the tokenizer; with
    /// <c>match_parameters_of</c>, its MLP width solved to another shape's parameter count (as the
    /// presets solve theirs).</summary>
    public static ModelConfig ModelOf(string job, JsonObject c, ITokenizer tok)
    {
        var model = Presets.Get(JobConfig.Str(job, c, "preset")).WithOverrides(JobConfig.Overrides(job, c["model"])).ForTokenizer(tok);
        if (c["match_parameters_of"] is JsonObject match)
        {
            var partner = Presets.Get(JobConfig.Str(job, match, "preset")).WithOverrides(JobConfig.Overrides(job, match["model"])).ForTokenizer(tok);
            model = Presets.SolveMlp(model, Accounting.ParameterCounts.Of(partner).Total);
        }
        return model;
    }

    /// <summary>Pretraining overrides on the paper's recipe; the objective is the paper's per
    /// architecture unless named.</summary>
    public static TrainingConfig PretrainConfig(string job, JsonNode? overrides, ModelConfig model, int seed, int threads)
    {
        var config = new TrainingConfig().WithOverrides(JobConfig.Overrides(job, overrides)) with { Seed = seed, Threads = threads };
        if (config.Objective == Objective.Seq2Seq)
            config = config with { Objective = model.IsEncoderDecoder ? Objective.SpanCorruption : Objective.CausalLm };
        config.Validate().CheckFits(model);
        return config;
    }

    public static TrainingConfig FinetuneConfig(string job, JsonNode? overrides, ModelConfig model, int seed, int threads)
    {
        var config = new TrainingConfig().WithOverrides(JobConfig.Overrides(job, overrides)) with { Seed = seed, Threads = threads };
        config.Validate().CheckFits(model);
        return config;
    }

    /// <summary>Pretrains on <c>pretrain_data</c> (the first <c>documents</c> training documents)
    /// into <paramref name="pretrainedDir"/>, resuming from <paramref name="workDir"/>; a finished
    /// phase returns its saved summary.</summary>
    public static JsonNode Pretrain(JsonObject c, ModelConfig model, ITokenizer tok, TrainingConfig config, int seed, string workDir,
                                    string pretrainedDir, Action<string> log, string name = "pretrain")
    {
        var summaryPath = Path.Combine(workDir, $"{name}-summary.json");
        if (File.Exists(summaryPath) && Directory.Exists(pretrainedDir)) return JsonNode.Parse(File.ReadAllText(summaryPath))!;
        var data = Resolve(JobConfig.Str(Kind, c, "pretrain_data"));
        var docs = CorpusSplits.Documents(data, "train");
        int limit = JobConfig.Int(Kind, c, "documents", 0);
        var train = TrainingData.Pretraining(limit > 0 ? docs.Take(limit) : docs, tok, config);
        var validation = TrainingData.Pretraining(CorpusSplits.Documents(data, "val").Take(200), tok, config);
        var m = LanguageModel.Create(model, seed);
        var runDir = Path.Combine(workDir, name);
        var summary = new Trainer(m, config, tok, train, validation, runDir) { TensorBoard = false, OnMessage = log }.Run(resume: true);
        Checkpoint.Save(m, pretrainedDir);
        var pretraining = Summary(summary, config, runDir);
        AtomicFile.WriteText(summaryPath, pretraining.ToJsonString());
        log($"{name}: {pretraining.ToJsonString()}");
        return pretraining;
    }

    /// <summary>Fine-tunes the checkpoint in <paramref name="fromDir"/> on a task (with the given
    /// training loss, cross-entropy when null), scores it on the task's validation split
    /// (<c>eval_examples</c>, <c>max_new_tokens</c>), optionally keeps the tuned model in
    /// <paramref name="saveTo"/>; resumable, and a finished task returns its saved row.</summary>
    public static JsonNode FinetuneAndScore(JsonObject c, string fromDir, ITokenizer tok, TrainingConfig config, string taskDir, string workDir,
                                            Action<string> log, Func<ILanguageModel, Func<Seq2SeqBatch, TorchSharp.torch.Tensor>>? loss = null,
                                            string name = "finetune", string? saveTo = null)
    {
        var manifest = Manifest.Read(taskDir);
        var done = Path.Combine(workDir, name == "finetune" ? $"task-{manifest.Name}.json" : $"{name}-{manifest.Name}.json");
        if (File.Exists(done) && (saveTo is null || Directory.Exists(saveTo))) return JsonNode.Parse(File.ReadAllText(done))!;
        var m = Checkpoint.Load(fromDir);
        var train = TrainingData.FineTuning(CorpusSplits.Pairs(taskDir, "train"), tok, config);
        var validation = TrainingData.FineTuning(CorpusSplits.Pairs(taskDir, "val").Take(128), tok, config);
        var runDir = Path.Combine(workDir, $"{name}-{manifest.Name}");
        var summary = new Trainer(m, config, tok, train, validation, runDir) { TensorBoard = false, OnMessage = log, Loss = loss?.Invoke(m) }.Run(resume: true);
        if (saveTo is not null) Checkpoint.Save(m, saveTo);
        var pairs = CorpusSplits.Pairs(taskDir, "val").Take(JobConfig.Int(Kind, c, "eval_examples", 200)).ToList();
        var qa = manifest.Format == "squad" ? Tasks.QaReferences(SquadJson.Read(manifest.SplitPath(taskDir, "val")!)) : null;
        var (predictions, seconds, tokens) = TaskEvaluation.Predict(m, tok, pairs, 16, JobConfig.Int(Kind, c, "max_new_tokens", 64), config.MaxSourceLength);
        var scores = TaskEvaluation.Score(predictions, qa, false, seconds, tokens);
        var row = new JsonObject
        {
            ["task"] = manifest.Name, ["finetune"] = Summary(summary, config, runDir), ["examples"] = scores.Examples,
            ["rouge1"] = 100 * scores.Rouge.Rouge1.FMeasure, ["rouge2"] = 100 * scores.Rouge.Rouge2.FMeasure,
            ["rouge_l"] = 100 * scores.Rouge.RougeL.FMeasure, ["rouge_lsum"] = 100 * scores.Rouge.RougeLsum.FMeasure,
            ["squad_exact"] = scores.Squad?.All.Exact, ["squad_f1"] = scores.Squad?.All.F1,
            ["generation_seconds"] = seconds,
            ["samples"] = JsonSerializer.SerializeToNode(predictions.Take(3).ToList(), Reporting.ResultsFile.Json),
        };
        AtomicFile.WriteText(done, row.ToJsonString());
        log($"{name} {manifest.Name}: ROUGE-L {row["rouge_l"]}");
        return row;
    }

    /// <summary>Loss curves keep at most this many points (every step is in the run's metrics.jsonl).</summary>
    const int CurvePoints = 200;

    static JsonObject Summary(TrainingSummary s, TrainingConfig config, string runDir) => new()
    {
        ["objective"] = config.Objective.ToString(), ["optimizer"] = config.Optimizer.ToString().ToLowerInvariant(),
        ["precision"] = config.Precision.ToString().ToLowerInvariant(),
        ["steps"] = s.Steps, ["source_tokens"] = s.SourceTokens, ["target_tokens"] = s.TargetTokens, ["seconds"] = s.TrainSeconds,
        ["tokens_per_second"] = (s.SourceTokens + s.TargetTokens) / Math.Max(1e-9, s.TrainSeconds),
        ["final_loss"] = s.FinalLoss, ["best_val_loss"] = double.IsFinite(s.BestValLoss) ? s.BestValLoss : null,
        ["curve"] = Curve(MetricsLog.ReadLosses(Path.Combine(runDir, "metrics.jsonl"))),
    };

    /// <summary>(step, loss) pairs thinned to at most <see cref="CurvePoints"/>, the last kept.</summary>
    static JsonArray Curve(IReadOnlyList<(int Step, double Loss)> losses)
    {
        int every = Math.Max(1, losses.Count / CurvePoints);
        var curve = new JsonArray();
        for (int i = 0; i < losses.Count; i++)
            if (i % every == 0 || i == losses.Count - 1) curve.Add(new JsonArray(losses[i].Step, losses[i].Loss));
        return curve;
    }

    static string Resolve(string path) => JobConfig.Resolve(path);
    static string Str(JsonObject c, string key) => JobConfig.Str(Kind, c, key);
    static int Int(JsonObject c, string key, int fallback) => JobConfig.Int(Kind, c, key, fallback);
}
