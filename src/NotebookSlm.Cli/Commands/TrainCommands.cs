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
using TorchSharp;

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
            var (trainOverrides, modelOverrides, _) = SplitOverrides(r.UnmatchedTokens);
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

    /// <summary>
    /// <c>slm distill</c>: fine-tuning with a teacher (paper 3.2). The student is a preset or a
    /// checkpoint of either architecture; the teacher one of our decoder-only checkpoints
    /// (<c>--teacher</c>) or a Hugging Face Phi-3 folder (<c>--teacher-hf</c>, with an optional PEFT
    /// LoRA adapter, <c>--teacher-lora</c>). Training keys and overrides as <c>slm finetune</c>;
    /// distillation keys from <c>--kd-config</c> and <c>--kd.key=value</c>. Resumable like training:
    /// the teacher's generated targets and cached logits live in the run folder.
    /// </summary>
    public static Command Distill()
    {
        var preset = new Option<string?>("--model") { Description = "student preset (random weights), e.g. tiny-encdec-2_3" };
        var init = new Option<string?>("--init") { Description = "student checkpoint folder to start from (usually a pretrained one)" };
        var teacherDir = new Option<string?>("--teacher") { Description = "teacher: one of our decoder-only checkpoint folders" };
        var teacherHf = new Option<string?>("--teacher-hf") { Description = "teacher: a Hugging Face Phi-3 / Phi-3.5 folder (config.json, safetensors)" };
        var teacherLora = new Option<string?>("--teacher-lora") { Description = "PEFT LoRA adapter folder merged into the --teacher-hf weights" };
        var tokenizer = new Option<string>("--tokenizer") { Description = "the tokenizer both models use", Required = true };
        var data = new Option<string>("--data") { Description = "task corpus folder (e.g. artifacts/data/qa-local)", Required = true };
        var output = new Option<string>("--out") { Description = "run folder: metrics.jsonl, checkpoints/, teacher-targets.jsonl, teacher-logits/", Required = true };
        var config = new Option<string?>("--config") { Description = "training configuration JSON" };
        var kdConfig = new Option<string?>("--kd-config") { Description = "distillation configuration JSON (keys: see --dry-run)" };
        var resume = new Option<bool>("--resume") { Description = "continue from the latest checkpoint in --out" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the resolved configurations; train nothing" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress display (CI)" };
        var cmd = new Command("distill", "fine-tune a student with a decoder-only teacher (KD). Overrides: --key=value (training), --model.key=value, --kd.key=value")
            { preset, init, teacherDir, teacherHf, teacherLora, tokenizer, data, output, config, kdConfig, resume, dryRun, quiet };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(r => Cli.Run(() =>
        {
            var (trainOverrides, modelOverrides, kdOverrides) = SplitOverrides(r.UnmatchedTokens, distill: true);
            var training = (r.GetValue(config) is { } path ? TrainingConfig.Load(path) : new TrainingConfig()).WithOverrides(trainOverrides).Validate();
            if (training.Objective != Objective.Seq2Seq) throw new ConfigException($"distill trains the seq2seq objective (got objective {training.Objective})");
            var kd = (r.GetValue(kdConfig) is { } kp ? Distillation.DistillConfig.Load(kp) : new Distillation.DistillConfig()).WithOverrides(kdOverrides).Validate();
            var tok = AutoTokenizer.Load(r.GetValue(tokenizer)!);
            TorchRuntime.EnsureLoaded();
            var (model, startedFrom) = BuildModel(r.GetValue(preset), r.GetValue(init), modelOverrides, tok, training);
            training.CheckFits(model.Config);
            Distillation.ITeacher teacher = (r.GetValue(teacherDir), r.GetValue(teacherHf)) switch
            {
                ({ } dir, null) when r.GetValue(teacherLora) is null => OurTeacher(dir, tok, model.Device()),
                (null, { } hf) => Distillation.Phi3Teacher.Load(hf, r.GetValue(teacherLora), model.Device()),
                ({ }, null) => throw new ArgumentException("--teacher-lora merges into a Hugging Face teacher: use it with --teacher-hf"),
                _ => throw new ArgumentException("give exactly one of --teacher CHECKPOINT or --teacher-hf FOLDER"),
            };
            if (teacher.VocabSize < model.Config.VocabSize)
                throw new ConfigException($"teacher {teacher.Name} has {teacher.VocabSize} output logits, fewer than the student's {model.Config.VocabSize}: they cannot share a tokenizer");
            var dataPath = r.GetValue(data)!;
            var train = TrainingData.FineTuning(CorpusSplits.Pairs(dataPath, "train"), tok, training);
            var validation = TrainingData.FineTuning(CorpusSplits.Pairs(dataPath, "val"), tok, training);
            if (train.Count == 0) throw new InvalidDataException($"{dataPath}: no training examples");
            var outDir = r.GetValue(output)!;
            if (r.GetValue(dryRun))
            {
                DryRun(model, training, train, startedFrom);
                Console.WriteLine($"teacher: {teacher.Name} ({teacher.VocabSize} logits)");
                Console.WriteLine("distillation:");
                Console.WriteLine(kd.ToJson());
                return 0;
            }
            Directory.CreateDirectory(outDir);
            if (kd.CacheTeacherLogits) teacher = new Distillation.CachedTeacher(teacher, Path.Combine(outDir, "teacher-logits"));
            var targets = kd.Targets == Distillation.TargetSource.Teacher
                ? Distillation.TeacherTargets.Ensure(teacher, train.Select(p => p.Source), training.MaxTargetLength, tok.EosId,
                                                     Path.Combine(outDir, "teacher-targets.jsonl"), log: Console.WriteLine)
                : null;
            var distiller = new Distillation.Distiller(model, teacher, kd, training.MaxTargetLength, targets);
            AtomicFile.WriteText(Path.Combine(outDir, "distill.json"), kd.ToJson());
            return Train(model, training, tok, train, validation, outDir, r.GetValue(resume), r.GetValue(quiet),
                         $"{startedFrom}, teacher {teacher.Name}, {kd.Divergence} alpha {kd.Alpha} tau {kd.Tau} on {kd.Targets} targets", distiller.SummedLoss);
        }));
        return cmd;
    }

    static Distillation.ITeacher OurTeacher(string dir, ITokenizer tok, TorchSharp.torch.Device device)
    {
        var teacher = Checkpoint.Load(dir);
        teacher.Config.CheckTokenizer(tok, dir);
        teacher.Module.to(device);
        return new Distillation.ModelTeacher(teacher, Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)));
    }

    /// <summary>"--lr=1e-3", "--model.d_model=128" and (distillation) "--kd.alpha=0.5" tokens; anything else is an error.</summary>
    static (List<KeyValuePair<string, string>> Training, List<KeyValuePair<string, string>> Model, List<KeyValuePair<string, string>> Kd)
        SplitOverrides(IEnumerable<string> tokens, bool distill = false)
    {
        var training = new List<KeyValuePair<string, string>>();
        var model = new List<KeyValuePair<string, string>>();
        var kd = new List<KeyValuePair<string, string>>();
        foreach (var token in tokens)
        {
            int eq = token.IndexOf('=');
            if (!token.StartsWith("--", StringComparison.Ordinal) || eq < 3)
                throw new ConfigException($"unrecognised argument '{token}': overrides are --key=value (training keys: {string.Join(", ", TrainingConfig.KeyNames)}) or --model.key=value"
                                          + (distill ? $" or --kd.key=value (distillation keys: {string.Join(", ", Distillation.DistillConfig.KeyNames)})" : ""));
            var key = token[2..eq].Replace('-', '_');
            var value = token[(eq + 1)..];
            if (key.StartsWith("model.", StringComparison.Ordinal)) model.Add(new(key["model.".Length..], value));
            else if (distill && key.StartsWith("kd.", StringComparison.Ordinal)) kd.Add(new(key["kd.".Length..], value));
            else training.Add(new(key, value));
        }
        return (training, model, kd);
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
        string outDir, bool resume, bool quiet, string from, Func<Seq2SeqBatch, TorchSharp.torch.Tensor>? loss = null)
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
                        Loss = loss,
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
                Loss = loss,
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
