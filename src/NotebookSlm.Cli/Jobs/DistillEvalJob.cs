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
/// <c>shared</c> folder, so a grid over alpha, divergence, targets and seeds trains each teacher
/// once. Configuration keys: <c>student</c> and <c>teacher</c> ({preset, model,
/// match_parameters_of}), <c>seed</c>, <c>tokenizer</c>, <c>pretrain_data</c>, <c>documents</c>,
/// <c>task</c>, <c>pretrain</c>, <c>finetune</c>, <c>kd</c>, <c>eval_examples</c>,
/// <c>max_new_tokens</c>, <c>shared</c>, <c>profile</c>.
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
        var task = JobConfig.Resolve(JobConfig.Str(Kind, c, "task"));
        var shared = JobConfig.Resolve(JobConfig.Str(Kind, c, "shared"));
        var studentSpec = c["student"] as JsonObject ?? throw new ArgumentException("distill-eval: 'student' must be an object {preset, model}");
        var teacherSpec = c["teacher"] as JsonObject ?? throw new ArgumentException("distill-eval: 'teacher' must be an object {preset, model}");
        var student = TrainEvalJob.ModelOf(Kind, studentSpec, tok);
        var teacher = TrainEvalJob.ModelOf(Kind, teacherSpec, tok);
        if (teacher.IsEncoderDecoder) throw new ArgumentException($"distill-eval: the teacher {teacher.Name} must be decoder-only");
        var kd = c["kd"] is JsonObject kdNode ? new DistillConfig().WithOverrides(JobConfig.Overrides(Kind, kdNode)).Validate() : null;
        var finetune = TrainEvalJob.FinetuneConfig(Kind, c["finetune"], student, seed, threads);

        // The teacher: seed 1 whatever the student's seed, so that every seed of a grid distils from the same one.
        // What a shared model depends on besides its shape: the data, the recipe, the tokenizer, and
        // the code and data versions of the sweep (new code trains new teachers).
        string data = c["pretrain_data"]!.ToJsonString() + c["documents"]?.ToJsonString() + c["pretrain"]?.ToJsonString() + tok.Name
                      + cell.Description["code_version"]?.ToJsonString() + cell.Description["data_version"]?.ToJsonString();
        var teacherKey = Key(teacher.ToJson(), data, c["finetune"]?.ToJsonString(), task);
        var teacherDir = Path.Combine(shared, $"teacher-{teacherKey}");
        var teacherRow = Shared(teacherDir, log, work =>
        {
            var pre = TrainEvalJob.PretrainConfig(Kind, c["pretrain"], teacher, 1, threads);
            var ft = TrainEvalJob.FinetuneConfig(Kind, c["finetune"], teacher, 1, threads);
            var pretrained = Path.Combine(work, "pretrained");
            TrainEvalJob.Pretrain(c, teacher, tok, pre, 1, work, pretrained, log, "teacher-pretrain");
            return TrainEvalJob.FinetuneAndScore(c, pretrained, tok, ft, task, work, log, name: "teacher-finetune", saveTo: Path.Combine(work, "model"));
        });
        // The pretrained student, per seed.
        var studentDir = Path.Combine(shared, $"student-{Key(student.ToJson(), data, seed.ToString())}");
        var pretraining = Shared(studentDir, log, work =>
        {
            var pre = TrainEvalJob.PretrainConfig(Kind, c["pretrain"], student, seed, threads);
            return TrainEvalJob.Pretrain(c, student, tok, pre, seed, work, Path.Combine(work, "model"), log, "student-pretrain");
        });

        Func<ILanguageModel, Func<Models.Seq2SeqBatch, TorchSharp.torch.Tensor>>? loss = null;
        if (kd is not null)
            loss = m =>
            {
                ITeacher t = ModelTeacher.Load(teacherDir);
                Dictionary<string, int[]>? targets = null;
                if (kd.Targets == TargetSource.Teacher)
                {
                    // Cells that share the teacher share its generations: one writer at a time.
                    var path = Path.Combine(shared, $"teacher-{teacherKey}-targets-{finetune.MaxTargetLength}.jsonl");
                    using var held = Lock(path + ".lock", log);
                    targets = TeacherTargets.Ensure(t, TrainingData.FineTuning(CorpusSplits.Pairs(task, "train"), tok, finetune).Select(p => p.Source),
                                                    finetune.MaxTargetLength, tok.EosId, path, log: log);
                }
                return new Distiller(m, t, kd, finetune.MaxTargetLength, targets).SummedLoss;
            };
        var studentRow = TrainEvalJob.FinetuneAndScore(c, studentDir, tok, finetune, task, workDir, log, loss, name: kd is null ? "finetune" : "distill");
        var parameters = new
        {
            student, teacher, finetune, kd, tokenizer = tok.Name,
            student_parameters = Accounting.ParameterCounts.Of(student).Total, teacher_parameters = Accounting.ParameterCounts.Of(teacher).Total,
        };
        return (parameters, new { teacher = teacherRow, pretraining, student = studentRow });
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
