using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NotebookSlm.Checkpoints;
using NotebookSlm.Corpora;
using NotebookSlm.Distillation;
using NotebookSlm.Models;
using NotebookSlm.Runtime;
using NotebookSlm.Sweeps;
using NotebookSlm.Tokenization;
using NotebookSlm.Training;

namespace NotebookSlm.Cli.Jobs;

/// <summary>
/// <c>distill-eval</c>: one cell of the KD ablation (paper Figure 5, Table 1's KD rows). A
/// decoder-only teacher is pretrained on <c>pretrain_data</c> and fine-tuned on the task (as the
/// authors tuned Phi-3.5 on each task); the student is pretrained on the same documents; then the
/// student is fine-tuned on the task with the teacher (<c>kd</c>: DistillConfig overrides; none:
/// plain fine-tuning, the Seq2Seq baseline) and both are scored. Teachers and pretrained students
/// are shared by every cell that names the same ones: they are built once, under a lock, in the
/// <c>shared</c> folder, so a grid over alpha, divergence, targets and seeds pretrains the
/// teacher once and fine-tunes it once per task. Configuration keys: <c>student</c> and
/// <c>teacher</c> ({preset, model, match_parameters_of}), <c>seed</c>, <c>tokenizer</c>,
/// <c>pretrain_data</c>, <c>documents</c>, <c>task</c>, <c>pretrain</c>, <c>finetune</c>,
/// <c>teacher_finetune</c> (default: <c>finetune</c>), <c>kd</c>, <c>eval_examples</c>,
/// <c>max_new_tokens</c>, <c>shared</c>, <c>profile</c>; and <c>build</c> (teacher-pretrain, teacher or student; with <c>teacher_targets</c> true the
/// teacher's generations too, for the seeds in <c>teacher_target_seeds</c>) for a cell that
/// builds only that shared model.
/// </summary>
sealed class DistillEvalJob : ICellJob
{
    public const string Kind = "distill-eval";

    public (object Parameters, object Results) Run(CellSpec cell, string workDir, int threads, Action<string> log)
    {
        TorchRuntime.EnsureLoaded();
        var c = cell.Config;
        var tok = AutoTokenizer.Load(JobConfig.Resolve(JobConfig.Str(Kind, c, "tokenizer")));
        int seed = JobConfig.Int(Kind, c, "seed", 1);
        var shared = JobConfig.Resolve(JobConfig.Str(Kind, c, "shared"));
        var studentSpec = c["student"] as JsonObject ?? throw new ArgumentException("distill-eval: 'student' must be an object {preset, model}");
        var teacherSpec = c["teacher"] as JsonObject ?? throw new ArgumentException("distill-eval: 'teacher' must be an object {preset, model}");
        var student = TrainEvalJob.ModelOf(Kind, studentSpec, tok);
        var teacher = TrainEvalJob.ModelOf(Kind, teacherSpec, tok);
        if (teacher.IsEncoderDecoder) throw new ArgumentException($"distill-eval: the teacher {teacher.Name} must be decoder-only");
        var kd = c["kd"] is JsonObject kdNode ? new DistillConfig().WithOverrides(JobConfig.Overrides(Kind, kdNode)).Validate() : null;
        var finetune = TrainEvalJob.FinetuneConfig(Kind, c["finetune"], student, seed, threads);
        string Task() => JobConfig.Resolve(JobConfig.Str(Kind, c, "task"));

        // What a shared model depends on besides its shape: the data, the recipe, the tokenizer, and
        // the code and data versions of the sweep (new code trains new teachers).
        string data = c["pretrain_data"]!.ToJsonString() + c["documents"]?.ToJsonString() + c["pretrain"]?.ToJsonString() + tok.Name
                      + cell.Description["code_version"]?.ToJsonString() + cell.Description["data_version"]?.ToJsonString();

        // The teacher: seed 1 whatever the student's seed, so that every seed of a grid distils from
        // the same one. Pretrained once, then fine-tuned once per task from that checkpoint.
        var teacherPretrainedDir = Path.Combine(shared, $"teacher-pretrained-{Key(teacher.ToJson(), data)}");
        JsonNode TeacherPretraining() => Shared(teacherPretrainedDir, log, work =>
        {
            var pre = TrainEvalJob.PretrainConfig(Kind, c["pretrain"], teacher, 1, threads);
            return TrainEvalJob.Pretrain(c, teacher, tok, pre, 1, work, Path.Combine(work, "model"), log, "teacher-pretrain");
        });
        // The teacher's fine-tuning recipe: `teacher_finetune`, else the student's.
        var teacherFinetune = c["teacher_finetune"] ?? c["finetune"];
        string TeacherKey() => Key(teacher.ToJson(), data, teacherFinetune?.ToJsonString(), Task());
        string TeacherDir() => Path.Combine(shared, $"teacher-{TeacherKey()}");
        JsonNode Teacher()
        {
            var pretraining = TeacherPretraining();
            return Shared(TeacherDir(), log, work =>
            {
                var ft = TrainEvalJob.FinetuneConfig(Kind, teacherFinetune, teacher, 1, threads);
                var row = TrainEvalJob.FinetuneAndScore(c, teacherPretrainedDir, tok, ft, Task(), work, log, name: "teacher-finetune", saveTo: Path.Combine(work, "model"));
                row["pretraining"] = pretraining.DeepClone();
                return row;
            });
        }
        // The teacher's generations ("forward teacher" targets) on the training sources this cell's
        // fine-tuning reads, kept in one file per teacher that cells complete, one writer at a
        // time; what one seed generated, the others reuse. Only the sources read: qa-local has 63k
        // training questions, of which 300 steps of 16 read 4.8k.
        Dictionary<string, int[]> TeacherTargets(ITeacher t, TrainingConfig run)
        {
            var path = Path.Combine(shared, $"teacher-{TeacherKey()}-targets-{run.MaxTargetLength}.jsonl");
            using var held = Lock(path + ".lock", log);
            return Distillation.TeacherTargets.Ensure(t, SourcesRead(TrainingData.FineTuning(CorpusSplits.Pairs(Task(), "train"), tok, run), run),
                                                      run.MaxTargetLength, tok.EosId, path, log: log);
        }
        // The pretrained student, per seed.
        var studentDir = Path.Combine(shared, $"student-{Key(student.ToJson(), data, seed.ToString())}");
        JsonNode StudentPretraining() => Shared(studentDir, log, work =>
        {
            var pre = TrainEvalJob.PretrainConfig(Kind, c["pretrain"], student, seed, threads);
            return TrainEvalJob.Pretrain(c, student, tok, pre, seed, work, Path.Combine(work, "model"), log, "student-pretrain");
        });
        var teacherParameters = Accounting.ParameterCounts.Of(teacher).Total;
        var studentParameters = Accounting.ParameterCounts.Of(student).Total;

        // `build`: a cell that only builds one shared model, so that a study can build them as a
        // grid of their own, side by side on every core, before the cells that wait on them.
        switch (c["build"]?.GetValue<string>())
        {
            case null: break;
            case "teacher-pretrain":
                return (new { teacher, teacher_parameters = teacherParameters }, new { teacher_pretraining = TeacherPretraining() });
            case "teacher":
                var built = Teacher();
                // With `teacher_targets`, its generations for the fine-tuning runs of every seed in
                // `teacher_target_seeds` (default: this cell's), so that no grid cell waits on them.
                if (c["teacher_targets"]?.GetValue<bool>() == true)
                {
                    var seeds = c["teacher_target_seeds"] is JsonArray a ? a.Select(x => x!.GetValue<int>()).ToList() : [seed];
                    var t = ModelTeacher.Load(TeacherDir());
                    foreach (var s in seeds) TeacherTargets(t, TrainEvalJob.FinetuneConfig(Kind, c["finetune"], student, s, threads));
                }
                return (new { teacher, teacher_parameters = teacherParameters, finetune }, new { teacher = built });
            case "student":
                return (new { student, student_parameters = studentParameters }, new { pretraining = StudentPretraining() });
            case var other:
                throw new ArgumentException($"distill-eval: 'build' is '{other}'; expected teacher-pretrain, teacher or student");
        }

        var teacherRow = Teacher();
        var pretraining = StudentPretraining();
        Func<ILanguageModel, Func<Models.Seq2SeqBatch, TorchSharp.torch.Tensor>>? loss = null;
        if (kd is not null)
            loss = m =>
            {
                ITeacher t = ModelTeacher.Load(TeacherDir());
                var targets = kd.Targets == TargetSource.Teacher ? TeacherTargets(t, finetune) : null;
                return new Distiller(m, t, kd, finetune.MaxTargetLength, targets).SummedLoss;
            };
        var studentRow = TrainEvalJob.FinetuneAndScore(c, studentDir, tok, finetune, Task(), workDir, log, loss, name: kd is null ? "finetune" : "distill");
        var parameters = new
        {
            student, teacher, finetune, kd, tokenizer = tok.Name,
            student_parameters = studentParameters, teacher_parameters = teacherParameters,
        };
        return (parameters, new { teacher = teacherRow, pretraining, student = studentRow });
    }

    /// <summary>The sources that a run of <paramref name="config"/> reads, in its order: the first
    /// Steps x AccumulationSteps micro-batches of its seeded epochs, drawn with the options the
    /// Trainer draws them with (Trainer.Batches; a source missing here fails the Distiller loudly,
    /// which the KD ablation's smoke run would show).</summary>
    static IEnumerable<int[]> SourcesRead(IReadOnlyList<Data.TokenizedPair> train, TrainingConfig config)
    {
        var options = new Data.BatchingOptions
        {
            BatchSize = config.MicroBatch, BucketBatches = config.BucketBatches, Shuffle = true, Seed = config.Seed,
            MaxSourceLength = config.MaxSourceLength, MaxTargetLength = config.MaxTargetLength,
        };
        int needed = train.Count == 0 ? 0 : config.Steps * config.AccumulationSteps;
        for (int epoch = 0; needed > 0; epoch++)
            foreach (var batch in Data.Batching.Epoch(train, options, epoch))
            {
                foreach (var pair in batch) yield return pair.Source;
                if (--needed == 0) yield break;
            }
    }

    static string Key(params string?[] parts) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts))))[..16].ToLowerInvariant();

    /// <summary>Builds the checkpoint <paramref name="dir"/> once for every cell that needs it: under
    /// an exclusive lock file, in <c>dir.work</c> (so a killed build resumes), its <c>model</c>
    /// renamed to <paramref name="dir"/> when done; its summary JSON sits beside it. Other cells
    /// wait on the lock and read the summary.</summary>
    static JsonNode Shared(string dir, Action<string> log, Func<string, JsonNode> build)
    {
        var summary = dir + ".json";
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        using var lockFile = Lock(dir + ".lock", log);
        if (Directory.Exists(dir) && File.Exists(summary)) return JsonNode.Parse(File.ReadAllText(summary))!;
        var work = dir + ".work";
        Directory.CreateDirectory(work);
        var result = build(work);
        if (Directory.Exists(dir)) Directory.Delete(dir, true); // a model without its summary: replaced
        Directory.Move(Path.Combine(work, "model"), dir);        // one rename: readers see all of it or none
        AtomicFile.WriteText(summary, result.ToJsonString());
        Directory.Delete(work, true);
        return result;
    }

    static FileStream Lock(string path, Action<string> log)
    {
        bool said = false;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException)
            {
                if (!said) { log($"waiting for {path} (another cell is building it)"); said = true; }
                Thread.Sleep(2000);
            }
        }
    }
}
