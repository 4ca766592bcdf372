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
        var model = Presets.Get(Str(c, "preset")).WithOverrides(Overrides(c["model"])).ForTokenizer(tok);
        // Parameter parity with another shape: the MLP width solved as the presets solve theirs.
        if (c["match_parameters_of"] is JsonObject match)
        {
            var partner = Presets.Get(Str(match, "preset")).WithOverrides(Overrides(match["model"])).ForTokenizer(tok);
            model = Presets.SolveMlp(model, Accounting.ParameterCounts.Of(partner).Total);
        }
        var pretrainConfig = new TrainingConfig().WithOverrides(Overrides(c["pretrain"])) with { Seed = seed, Threads = threads };
        if (pretrainConfig.Objective == Objective.Seq2Seq)
            pretrainConfig = pretrainConfig with { Objective = model.IsEncoderDecoder ? Objective.SpanCorruption : Objective.CausalLm };
        var finetuneConfig = new TrainingConfig().WithOverrides(Overrides(c["finetune"])) with { Seed = seed, Threads = threads };
        pretrainConfig.Validate().CheckFits(model);
        finetuneConfig.Validate().CheckFits(model);

        // ---- pretraining (resumable) ----
        var pretrainedDir = Path.Combine(workDir, "pretrained");
        var pretrainSummaryPath = Path.Combine(workDir, "pretrain-summary.json");
        JsonNode pretraining;
        if (File.Exists(pretrainSummaryPath) && Directory.Exists(pretrainedDir)) pretraining = JsonNode.Parse(File.ReadAllText(pretrainSummaryPath))!;
        else
        {
            var docs = CorpusSplits.Documents(Resolve(Str(c, "pretrain_data")), "train");
            int limit = Int(c, "documents", 0);
            var train = TrainingData.Pretraining(limit > 0 ? docs.Take(limit) : docs, tok, pretrainConfig);
            var validation = TrainingData.Pretraining(CorpusSplits.Documents(Resolve(Str(c, "pretrain_data")), "val").Take(200), tok, pretrainConfig);
            var m = LanguageModel.Create(model, seed);
            var runDir = Path.Combine(workDir, "pretrain");
            var summary = new Trainer(m, pretrainConfig, tok, train, validation, runDir) { TensorBoard = false, OnMessage = log }.Run(resume: true);
            Checkpoint.Save(m, pretrainedDir);
            pretraining = Summary(summary, pretrainConfig, runDir);
            AtomicFile.WriteText(pretrainSummaryPath, pretraining.ToJsonString());
        }
        log($"pretrained: {pretraining.ToJsonString()}");

        // ---- fine-tuning and scoring, per task (each resumable) ----
        var tasks = new JsonArray();
        foreach (var taskNode in (c["tasks"] as JsonArray) ?? throw new ArgumentException("train-eval: 'tasks' must be a list of task corpus folders"))
        {
            var taskDir = Resolve(taskNode!.GetValue<string>());
            var manifest = Manifest.Read(taskDir);
            var done = Path.Combine(workDir, $"task-{manifest.Name}.json");
            if (File.Exists(done)) { tasks.Add(JsonNode.Parse(File.ReadAllText(done))); continue; }
            var m = Checkpoint.Load(pretrainedDir);
            var train = TrainingData.FineTuning(CorpusSplits.Pairs(taskDir, "train"), tok, finetuneConfig);
            var validation = TrainingData.FineTuning(CorpusSplits.Pairs(taskDir, "val").Take(128), tok, finetuneConfig);
            var runDir = Path.Combine(workDir, $"finetune-{manifest.Name}");
            var summary = new Trainer(m, finetuneConfig, tok, train, validation, runDir) { TensorBoard = false, OnMessage = log }.Run(resume: true);
            var pairs = CorpusSplits.Pairs(taskDir, "val").Take(Int(c, "eval_examples", 200)).ToList();
            var qa = manifest.Format == "squad" ? Tasks.QaReferences(SquadJson.Read(manifest.SplitPath(taskDir, "val")!)) : null;
            var (predictions, seconds, tokens) = TaskEvaluation.Predict(m, tok, pairs, 16, Int(c, "max_new_tokens", 64), finetuneConfig.MaxSourceLength);
            var scores = TaskEvaluation.Score(predictions, qa, false, seconds, tokens);
            var row = new JsonObject
            {
                ["task"] = manifest.Name, ["finetune"] = Summary(summary, finetuneConfig, runDir), ["examples"] = scores.Examples,
                ["rouge1"] = 100 * scores.Rouge.Rouge1.FMeasure, ["rouge2"] = 100 * scores.Rouge.Rouge2.FMeasure,
                ["rouge_l"] = 100 * scores.Rouge.RougeL.FMeasure, ["rouge_lsum"] = 100 * scores.Rouge.RougeLsum.FMeasure,
                ["squad_exact"] = scores.Squad?.All.Exact, ["squad_f1"] = scores.Squad?.All.F1,
                ["generation_seconds"] = seconds,
                ["samples"] = JsonSerializer.SerializeToNode(predictions.Take(3).ToList(), Reporting.ResultsFile.Json),
            };
            AtomicFile.WriteText(done, row.ToJsonString());
            tasks.Add(row);
            log($"{manifest.Name}: ROUGE-L {row["rouge_l"]}");
        }
        var parameters = new
        {
            model, pretrain = pretrainConfig, finetune = finetuneConfig,
            parameter_count = Accounting.ParameterCounts.Of(model).Total, tokenizer = tok.Name,
        };
        return (parameters, new { pretraining, tasks });
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

    /// <summary>A path of the configuration: relative ones are from the repository root
    /// (NOTEBOOKSLM_ROOT, which the runners pass), so that cell ids do not depend on where a
    /// machine mounts the repository; names such as "bytes" or "phi-3.5" stay as they are.</summary>
    static string Resolve(string path)
    {
        if (Path.IsPathRooted(path) || !path.Contains('/')) return path;
        var root = Environment.GetEnvironmentVariable("NOTEBOOKSLM_ROOT");
        return string.IsNullOrEmpty(root) ? Path.GetFullPath(path) : Path.Combine(root, path);
    }

    static string Str(JsonObject c, string key) =>
        c[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new ArgumentException($"train-eval: configuration key '{key}' must be a string");

    static int Int(JsonObject c, string key, int fallback) => c[key] is null ? fallback
        : c[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw new ArgumentException($"train-eval: configuration key '{key}' must be an integer");

    /// <summary>An object of overrides as key=value pairs (numbers and booleans as their JSON text).</summary>
    static IEnumerable<KeyValuePair<string, string>> Overrides(JsonNode? node)
    {
        if (node is null) return [];
        if (node is not JsonObject o) throw new ArgumentException($"train-eval: overrides must be an object, got {node.ToJsonString()}");
        return o.Select(kv => KeyValuePair.Create(kv.Key, kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : kv.Value?.ToJsonString() ?? ""));
    }
}
