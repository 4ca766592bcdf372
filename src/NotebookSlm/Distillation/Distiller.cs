using System.Security.Cryptography;
using System.Text.Json;
using NotebookSlm.Generation;
using NotebookSlm.Models;
using NotebookSlm.Runtime;
using static TorchSharp.torch;

namespace NotebookSlm.Distillation;

/// <summary>Where the targets that the KD term is computed on come from (paper 3.2).</summary>
public enum TargetSource
{
    /// <summary>The task's reference targets.</summary>
    GroundTruth,
    /// <summary>The teacher's greedy generations ("forward teacher"), made once and cached.</summary>
    Teacher,
    /// <summary>The student's own samples, drawn anew every step ("forward student", on-policy).</summary>
    Student,
    /// <summary>Per micro-batch, the student's samples with probability <see cref="DistillConfig.OnPolicyFraction"/>,
    /// the reference targets otherwise (GKD's lambda).</summary>
    Mix,
}

/// <summary>
/// What distillation adds to a fine-tuning run (<c>--kd.key=value</c> overrides on the CLI): the
/// loss (<see cref="KdLossOptions"/>) and where its targets come from. The cross-entropy part is
/// always on the reference targets, as in the released script.
/// </summary>
public sealed record DistillConfig
{
    public Divergence Divergence { get; init; } = Divergence.ForwardKl;
    public double Beta { get; init; } = 0.5;
    public double Tau { get; init; } = 1.0;
    public double Alpha { get; init; } = 0.5;
    public bool Released { get; init; }
    public TargetSource Targets { get; init; } = TargetSource.GroundTruth;
    /// <summary>Lambda: the share of micro-batches with on-policy targets under <see cref="TargetSource.Mix"/>.</summary>
    public double OnPolicyFraction { get; init; } = 0.5;
    /// <summary>The student's sampling when it makes its own targets (the released script: 0.9 and 128).</summary>
    public double SampleTemperature { get; init; } = 0.9;
    public int SampleTopK { get; init; } = 128;
    /// <summary>Keep the teacher's logits on disk (run folder/teacher-logits) so each example is run once.</summary>
    public bool CacheTeacherLogits { get; init; }

    public KdLossOptions Loss => new() { Divergence = Divergence, Beta = Beta, Tau = Tau, Alpha = Alpha, Released = Released };

    public DistillConfig Validate()
    {
        Loss.Validate();
        if (OnPolicyFraction is < 0 or > 1) throw new ConfigException($"kd on_policy_fraction is {OnPolicyFraction}; expected a value in [0, 1]");
        if (!(SampleTemperature > 0)) throw new ConfigException($"kd sample_temperature is {SampleTemperature}; expected a positive temperature");
        if (SampleTopK < 0) throw new ConfigException($"kd sample_top_k is {SampleTopK}; expected 0 (no cut) or more");
        if (Released && Targets != TargetSource.Student)
            throw new ConfigException("the released script distils on the student's own samples only: with released, set targets to student");
        return this;
    }

    public string ToJson() => JsonRecords.ToJson(this);

    public static DistillConfig FromJson(string json, string source = "distillation config") =>
        JsonRecords.FromJson<DistillConfig>(json, source, m => new ConfigException(m)).Validate();

    public static DistillConfig Load(string path) =>
        File.Exists(path) ? FromJson(File.ReadAllText(path), path) : throw new FileNotFoundException($"{path}: distillation config not found", path);

    public DistillConfig WithOverrides(IEnumerable<KeyValuePair<string, string>> overrides) =>
        JsonRecords.WithOverrides(this, overrides, (j, s) => FromJson(j, s), m => new ConfigException(m));

    public static IReadOnlyList<string> KeyNames => JsonRecords.Keys(new DistillConfig());
}

/// <summary>
/// The distillation loss of one micro-batch for <see cref="Training.Trainer.Loss"/>: the KD targets
/// (reference, teacher-generated or student-sampled), the teacher's and the student's logits over
/// them, aligned (<see cref="TeacherAlignment"/>) and compared over the shared vocabulary, and the
/// cross-entropy on the reference targets:
/// alpha * KD * n + (1 - alpha) * sum CE, n the batch's reference tokens, so that the trainer's
/// division by the step's tokens gives alpha KD + (1 - alpha) CE per step. Either architecture can
/// be the student (Table 1's decoder-only KD row too). Randomness (the student's samples, the mix)
/// is drawn from libtorch's global generator, which training checkpoints save and restore, so a
/// resumed run draws what an uninterrupted one would.
/// </summary>
public sealed class Distiller
{
    readonly ILanguageModel student;
    readonly ITeacher teacher;
    readonly DistillConfig config;
    readonly KdLossOptions loss;
    readonly int maxTargetLength;
    readonly IReadOnlyDictionary<string, int[]>? teacherTargets;

    // The last micro-batch's KD and CE terms stay on the device: reading them costs a host sync,
    // so it happens only when somebody asks (one per property read, none per step).
    Tensor? lastKd, lastCe;

    /// <summary>The KD mean of the last micro-batch (for logs; NaN before the first).</summary>
    public double LastKd => lastKd is null ? double.NaN : lastKd.item<double>();
    /// <summary>The CE mean over real target tokens of the last micro-batch.</summary>
    public double LastCe => lastCe is null ? double.NaN : lastCe.item<double>();
    /// <summary>Micro-batches whose KD targets were the student's own samples.</summary>
    public int OnPolicyBatches { get; private set; }

    public Distiller(ILanguageModel student, ITeacher teacher, DistillConfig config, int maxTargetLength,
                     IReadOnlyDictionary<string, int[]>? teacherTargets = null)
    {
        this.student = student;
        this.teacher = teacher;
        this.config = config.Validate();
        loss = config.Loss;
        this.maxTargetLength = maxTargetLength;
        this.teacherTargets = teacherTargets;
        if (config.Targets == TargetSource.Teacher && teacherTargets is null)
            throw new ArgumentException("targets = teacher needs the teacher's generations: make them with TeacherTargets.Ensure");
        if (teacher.VocabSize < student.Config.VocabSize)
            throw new ArgumentException($"teacher {teacher.Name} has {teacher.VocabSize} logits and student {student.Config.Name} {student.Config.VocabSize}: a teacher covers at least the student's vocabulary");
    }

    public Tensor SummedLoss(Seq2SeqBatch batch)
    {
        using var scope = NewDisposeScope();
        var kdBatch = KdTargets(batch);
        try
        {
            var studentLogits = student.TargetLogits(kdBatch);                                      // (B, T', V)
            var teacherLogits = teacher.TargetLogits(kdBatch);                                      // (B, T', Vt)
            var (s, t) = TeacherAlignment.SharedVocabulary(studentLogits, teacherLogits);
            var n = batch.TargetMask.sum().to(ScalarType.Float32);
            var kd = loss.Alpha > 0 ? KdLoss.Term(s, t, kdBatch.TargetMask, loss) : zeros([], device: s.device);
            Tensor ce;
            if (loss.Alpha >= 1) ce = zeros([], device: s.device);
            else
            {
                var ceLogits = ReferenceEquals(kdBatch, batch) ? studentLogits : student.TargetLogits(batch);
                ce = LanguageModel.TokenCrossEntropy(ceLogits, batch.Target, batch.TargetMask, nn.Reduction.Sum);
            }
            Keep(ref lastKd, kd.detach().to(ScalarType.Float64));
            Keep(ref lastCe, (ce.detach() / n.clamp_min(1)).to(ScalarType.Float64));
            return (loss.Alpha * kd.to(ScalarType.Float32) * n + (1 - loss.Alpha) * ce.to(ScalarType.Float32)).MoveToOuterDisposeScope();
        }
        finally { if (!ReferenceEquals(kdBatch, batch)) kdBatch.Dispose(); }
    }

    static void Keep(ref Tensor? slot, Tensor value)
    {
        slot?.Dispose();
        slot = value.DetachFromDisposeScope();
    }

    /// <summary>The batch the KD term is computed on: the reference one, or the same sources with
    /// generated targets.</summary>
    Seq2SeqBatch KdTargets(Seq2SeqBatch batch)
    {
        bool onPolicy = config.Targets switch
        {
            TargetSource.Student => true,
            TargetSource.Mix => rand(1).item<float>() < config.OnPolicyFraction,
            _ => false,
        };
        if (!onPolicy && config.Targets != TargetSource.Teacher) return batch;
        var sources = Rows(batch.Source, batch.SourceMask);
        IReadOnlyList<int[]> targets;
        if (onPolicy)
        {
            OnPolicyBatches++;
            // The seed comes from the global generator, so it is part of the saved RNG state.
            long seed = randint(0, int.MaxValue, [1], dtype: ScalarType.Int64).item<long>();
            var options = GenerationOptions.StudentSampling with
            {
                MaxNewTokens = maxTargetLength, Temperature = config.SampleTemperature, TopK = config.SampleTopK, Seed = seed,
            };
            targets = student.Generate(sources, options).Tokens;
        }
        else targets = sources.Select(s => teacherTargets!.TryGetValue(TeacherTargets.Key(s), out var y) ? y
            : throw new InvalidOperationException("a training source has no teacher generation: TeacherTargets.Ensure covers every training pair")).ToList();
        return Seq2SeqBatch.From(sources, targets, student.Config.PadId, batch.Source.device);
    }

    /// <summary>The real tokens of each row (right-padded ids and their mask), on the host.</summary>
    public static int[][] Rows(Tensor ids, Tensor mask)
    {
        var i = ids.cpu().to(ScalarType.Int64).data<long>().ToArray();
        var m = mask.cpu().to(ScalarType.Bool).data<bool>().ToArray();
        int b = (int)ids.shape[0], l = (int)ids.shape[1];
        return Enumerable.Range(0, b).Select(r => Enumerable.Range(0, l).Where(j => m[r * l + j]).Select(j => (int)i[r * l + j]).ToArray()).ToArray();
    }
}

/// <summary>The teacher's greedy generations for every training source ("forward teacher"),
/// made once and kept as JSONL (one <c>{"key", "target"}</c> a line) so that reruns, seeds and
/// students share them; a file that covers only some sources is completed, not redone.</summary>
public static class TeacherTargets
{
    public static string Key(int[] source)
    {
        var bytes = new byte[source.Length * sizeof(int)];
        Buffer.BlockCopy(source, 0, bytes, 0, bytes.Length);
        return Convert.ToHexString(SHA256.HashData(bytes))[..24].ToLowerInvariant();
    }

    public static Dictionary<string, int[]> Ensure(ITeacher teacher, IEnumerable<int[]> sources, int maxNewTokens, int eosId, string path,
                                                   int batchSize = 8, Action<string>? log = null)
    {
        var known = new Dictionary<string, int[]>();
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path);
            var lines = text.Split('\n');
            for (int line = 0; line < lines.Length; line++)
            {
                if (lines[line].Length == 0) continue;
                try
                {
                    var e = JsonDocument.Parse(lines[line]).RootElement;
                    known[e.GetProperty("key").GetString()!] = e.GetProperty("target").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                }
                // A last line without its newline was cut by a kill mid-write: generated again below.
                catch (Exception) when (line == lines.Length - 1 && !text.EndsWith('\n')) { }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    throw new InvalidDataException($"{path} line {line + 1}: expected {{\"key\": \"...\", \"target\": [ids]}} ({ex.Message})");
                }
            }
            if (!text.EndsWith('\n') && text.Length > 0) File.WriteAllText(path, text[..(text.LastIndexOf('\n') + 1)]);
        }
        var todo = sources.DistinctBy(Key).Where(s => !known.ContainsKey(Key(s))).ToList();
        if (todo.Count == 0) return known;
        log?.Invoke($"teacher {teacher.Name}: generating targets for {todo.Count:N0} sources ({known.Count:N0} cached) -> {path}");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = new StreamWriter(path, append: true);
        foreach (var chunk in todo.Chunk(batchSize))
        {
            var generated = teacher.Generate(chunk, maxNewTokens, eosId);
            for (int i = 0; i < chunk.Length; i++)
            {
                var key = Key(chunk[i]);
                known[key] = generated[i];
                writer.WriteLine(JsonSerializer.Serialize(new { key, target = generated[i] }));
            }
            writer.Flush();
        }
        return known;
    }
}
