using System.CommandLine;
using System.Text.Json;
using NotebookSlm.Accounting;
using NotebookSlm.Checkpoints;
using NotebookSlm.Corpora;
using NotebookSlm.Data;
using NotebookSlm.Models;
using NotebookSlm.Runtime;
using NotebookSlm.Tokenization;
using NotebookSlm.Training;
using Spectre.Console;

namespace NotebookSlm.Cli.Commands;

/// <summary>
/// <c>slm pretrain</c> and <c>slm finetune</c>: a model (a preset, or a checkpoint to start
/// from), a tokenizer, a corpus folder and an output folder, configured by a training JSON
/// file plus <c>--key=value</c> overrides (<c>--model.key=value</c> for the model). An
/// unknown key is an error listing the valid ones; <c>--dry-run</c> prints what would run.
/// </summary>
static class TrainCommands
{
    public static Command Pretrain() => Create("pretrain", "pretrain on a documents corpus (span corruption, causal LM or prefix LM)", pretraining: true);
    public static Command Finetune() => Create("finetune", "fine-tune on a task corpus (sequence-to-sequence cross-entropy)", pretraining: false);

    static Command Create(string name, string description, bool pretraining)
    {
        var preset = new Option<string?>("--model") { Description = "preset to start from (random weights), e.g. tiny-encdec-2_3" };
        var init = new Option<string?>("--init") { Description = "checkpoint folder to start from (config.json + model.safetensors)" };
        var tokenizer = new Option<string>("--tokenizer") { Description = "bytes, gpt2, phi-3.5, a .model or tokenizer.json path", Required = true };
        var data = new Option<string>("--data") { Description = pretraining ? "documents corpus folder (e.g. artifacts/data/edu-local) or .jsonl file" : "task corpus folder (e.g. artifacts/data/qa-local)", Required = true };
        var output = new Option<string>("--out") { Description = "run folder: metrics.jsonl, tensorboard/, checkpoints/", Required = true };
        var config = new Option<string?>("--config") { Description = "training configuration JSON (keys: see --dry-run)" };
        var resume = new Option<bool>("--resume") { Description = "continue from the latest checkpoint in --out" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the resolved configuration, parameter groups, tokens per step and estimated time; train nothing" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress display (CI)" };
        var cmd = new Command(name, description + ". Overrides: --key=value (training) and --model.key=value (model)")
            { preset, init, tokenizer, data, output, config, resume, dryRun, quiet };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(r => Cli.Run(() =>
        {
            var (trainOverrides, modelOverrides) = SplitOverrides(r.UnmatchedTokens);
            var training = (r.GetValue(config) is { } path ? TrainingConfig.Load(path) : new TrainingConfig()).WithOverrides(trainOverrides).Validate();
            if (!pretraining && training.Objective != Objective.Seq2Seq)
                throw new ConfigException($"finetune trains the seq2seq objective (got objective {training.Objective}); use slm pretrain");
            var tok = AutoTokenizer.Load(r.GetValue(tokenizer)!);
            TorchRuntime.EnsureLoaded();
            var (model, startedFrom) = BuildModel(r.GetValue(preset), r.GetValue(init), modelOverrides, tok, training);
            // Pretraining without a named objective: the paper's per architecture (3.3).
            if (pretraining && training.Objective == Objective.Seq2Seq)
                training = training with { Objective = model.Config.IsEncoderDecoder ? Objective.SpanCorruption : Objective.CausalLm };
            training.CheckFits(model.Config);

            var dataPath = r.GetValue(data)!;
            var (train, validation) = pretraining
                ? (TrainingData.Pretraining(CorpusSplits.Documents(dataPath, "train"), tok, training),
                   TrainingData.Pretraining(CorpusSplits.Documents(dataPath, "val"), tok, training))
                : (TrainingData.FineTuning(CorpusSplits.Pairs(dataPath, "train"), tok, training),
                   TrainingData.FineTuning(CorpusSplits.Pairs(dataPath, "val"), tok, training));
            if (train.Count == 0) throw new InvalidDataException($"{dataPath}: no training examples (pretraining needs documents longer than the chunk length)");

            var outDir = r.GetValue(output)!;
            if (r.GetValue(dryRun)) { DryRun(model, training, train, startedFrom); return 0; }
            return Train(model, training, tok, train, validation, outDir, r.GetValue(resume), r.GetValue(quiet), startedFrom);
        }));
        return cmd;
    }

    /// <summary>"--lr=1e-3" and "--model.d_model=128" tokens; anything else is an error.</summary>
    static (List<KeyValuePair<string, string>> Training, List<KeyValuePair<string, string>> Model) SplitOverrides(IEnumerable<string> tokens)
    {
        var training = new List<KeyValuePair<string, string>>();
        var model = new List<KeyValuePair<string, string>>();
        foreach (var token in tokens)
        {
            int eq = token.IndexOf('=');
            if (!token.StartsWith("--", StringComparison.Ordinal) || eq < 3)
                throw new ConfigException($"unrecognised argument '{token}': overrides are --key=value (training keys: {string.Join(", ", TrainingConfig.KeyNames)}) or --model.key=value");
            var key = token[2..eq].Replace('-', '_');
            var value = token[(eq + 1)..];
            if (key.StartsWith("model.", StringComparison.Ordinal)) model.Add(new(key["model.".Length..], value));
            else training.Add(new(key, value));
        }
        return (training, model);
    }

    static (ILanguageModel Model, string From) BuildModel(string? preset, string? init, List<KeyValuePair<string, string>> overrides, ITokenizer tok, TrainingConfig training)
    {
        switch (preset, init)
        {
            case ({ } p, null):
            {
                var c = Presets.Get(p).WithOverrides(overrides).ForTokenizer(tok);
                return (LanguageModel.Create(c, training.Seed), $"preset {p} (seed {training.Seed})");
            }
            case (null, { } dir):
            {
                if (overrides.Count > 0) throw new ConfigException("--model.key=value overrides apply to presets; a checkpoint keeps its own configuration");
                var m = Checkpoint.Load(dir);
                m.Config.CheckTokenizer(tok, dir);
                return (m, $"checkpoint {dir}");
            }
            default:
                throw new ArgumentException("give exactly one of --model PRESET or --init CHECKPOINT");
        }
    }

    static void DryRun(ILanguageModel model, TrainingConfig c, List<TokenizedPair> train, string from)
    {
        Console.WriteLine($"model: {model.Config.Name} from {from}");
        Console.WriteLine(model.Config.ToJson());
        Console.WriteLine("training:");
        Console.WriteLine(c.ToJson());
        Console.WriteLine(ParameterGroups.Summary(ParameterGroups.Assign(model, c.Optimizer), c).ToText());
        var (s, t) = TrainingData.Tokens(train);
        double perExample = (s + t) / (double)train.Count;
        double tokensPerStep = perExample * c.GlobalBatch;
        Console.WriteLine($"data: {train.Count:N0} examples, {s:N0} source + {t:N0} target tokens; {c.AccumulationSteps} micro-batches of {c.MicroBatch} per step; about {tokensPerStep:N0} tokens per step");
        double flops = new CostModel(model.Config).TrainingStepFlops((int)Math.Round(s / (double)train.Count), (int)Math.Round(t / (double)train.Count)) * c.GlobalBatch * c.Steps;
        double gflops = Benchmarks.MachineProbe.MatmulGflops(c.Threads > 0 ? c.Threads : TorchSharp.torch.get_num_threads(), size: 512, repeats: 3);
        double seconds = flops / (gflops * 1e9);
        Console.WriteLine($"estimate: {c.Steps:N0} steps, {tokensPerStep * c.Steps:N0} tokens, {flops / 1e12:N1} TFLOP; at the matmul peak measured now ({gflops:N0} GFLOP/s) {Duration(seconds)}, at half of it {Duration(2 * seconds)}");
    }

    static string Duration(double s) => s < 120 ? $"{s:N0} s" : s < 7200 ? $"{s / 60:N0} min" : $"{s / 3600:N1} h";

    static int Train(ILanguageModel model, TrainingConfig c, ITokenizer tok, List<TokenizedPair> train, List<TokenizedPair> validation,
        string outDir, bool resume, bool quiet, string from)
    {
        bool interactive = !quiet && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        Console.WriteLine($"{model.Config.Name} from {from}: {train.Count:N0} training and {validation.Count:N0} validation examples, {c.Steps:N0} steps -> {outDir}");
        Action<string> say = quiet ? _ => { } : Console.WriteLine;
        TrainingSummary summary;
        if (interactive)
        {
            summary = null!;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: c.Steps);
                    var trainer = new Trainer(model, c, tok, train, validation, outDir)
                    {
                        OnStep = s => { task.Value = s.Step; task.Description = $"step {s.Step} loss {s.Loss:F3} lr {s.Lr:G3} {s.TokensPerSecond:N0} tok/s"; },
                        OnEval = e => AnsiConsole.MarkupLineInterpolated($"[grey]step {e.Step}: validation loss {e.ValLoss:F4}[/]"),
                        OnMessage = m => AnsiConsole.WriteLine(m),
                    };
                    summary = trainer.Run(resume);
                });
        }
        else
        {
            int every = Math.Max(1, c.Steps / 20);
            var trainer = new Trainer(model, c, tok, train, validation, outDir)
            {
                OnStep = quiet ? null : s => { if (s.Step % every == 0 || s.Step == c.Steps) Console.WriteLine($"step {s.Step}/{c.Steps} loss {s.Loss:F4} lr {s.Lr:G3} grad norm {s.GradNorm:F3} {s.TokensPerSecond:N0} tok/s"); },
                OnEval = quiet ? null : e => Console.WriteLine($"step {e.Step}: validation loss {e.ValLoss:F4}"),
                OnMessage = say,
            };
            summary = trainer.Run(resume);
        }
        Console.WriteLine(JsonSerializer.Serialize(summary, Cli.Json));
        return 0;
    }
}
