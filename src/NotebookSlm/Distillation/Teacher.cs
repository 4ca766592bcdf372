using System.Security.Cryptography;
using NotebookSlm.Checkpoints;
using NotebookSlm.Models;
using NotebookSlm.Runtime;
using NotebookSlm.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSlm.Distillation;

/// <summary>A decoder-only teacher as distillation sees it: teacher-forced logits (B, T, V) for
/// the target positions of a batch, aligned with the student's (see <see cref="TeacherAlignment"/>),
/// computed without gradients.</summary>
public interface ITeacher
{
    string Name { get; }
    int VocabSize { get; }
    Tensor TargetLogits(Seq2SeqBatch batch);
    /// <summary>Greedy continuations of the sources, each ending at <paramref name="eosId"/> or
    /// after <paramref name="maxNewTokens"/> ("forward teacher" targets).</summary>
    IReadOnlyList<int[]> Generate(IReadOnlyList<int[]> sources, int maxNewTokens, int eosId);
}

/// <summary>
/// The alignment of paper 3.2 (supplement 5.1). The teacher reads the source left-padded to the
/// batch's source length S, then the target: <c>[PAD]^ne . x . y</c>, so that the logits at
/// position |x| + ne - 1 + t = S - 1 + t predict target token t, the token the student's decoder
/// predicts at step t from <c>[BOS] . y[..t]</c>. Target padding needs no mask: it follows every
/// real token, and causality hides it from them; the KD loss masks those positions out.
/// Positions count the padding (as Hugging Face's Phi-3 forward does without position_ids); RoPE
/// scores depend only on offsets, so this moves no real token relative to another, and the
/// padded length is what decides LongRoPE's long or short factors.
/// </summary>
public static class TeacherAlignment
{
    /// <summary>Teacher input ids (B, S + T): the left-aligned source, then the whole target (a
    /// causal teacher's logits at the target positions never see its last token), and validity
    /// (null when no source row is padded).</summary>
    public static (Tensor Ids, Tensor? Valid) Input(Seq2SeqBatch batch)
    {
        using var scope = NewDisposeScope();
        var (src, srcValid) = batch.SourcePadded ? LanguageModel.LeftAlign(batch.Source, batch.SourceMask) : (batch.Source, null); // (B, S)
        var ids = cat([src, batch.Target], 1);                                                     // (B, S+T)
        var valid = srcValid is null ? null : cat([srcValid, batch.TargetMask], 1);
        return (ids.MoveToOuterDisposeScope(), valid?.MoveToOuterDisposeScope());
    }

    /// <summary>The target positions S - 1 .. S + T - 2 of the teacher's logits over <see cref="Input"/>: (B, T, V).</summary>
    public static Tensor TargetPositions(Tensor logits, Seq2SeqBatch batch) =>
        logits.narrow(1, batch.Source.shape[1] - 1, batch.Target.shape[1]);

    /// <summary>Student and teacher logits over their shared vocabulary prefix (the released code
    /// compares so when the teacher's embedding has padding rows past the tokenizer's).</summary>
    public static (Tensor Student, Tensor Teacher) SharedVocabulary(Tensor student, Tensor teacher)
    {
        long v = Math.Min(student.shape[^1], teacher.shape[^1]);
        return (student.narrow(-1, 0, v), teacher.narrow(-1, 0, v));
    }

    /// <summary>Student and teacher must agree on the special ids (the ids both read and predict):
    /// a mismatch is an error, never a silent remapping.</summary>
    public static void CheckTokenizers(ITokenizer student, ITokenizer teacher)
    {
        var diffs = new List<string>();
        void Check(string what, int s, int t) { if (s != t) diffs.Add($"{what} {s} (student) against {t} (teacher)"); }
        Check("pad", student.PadId, teacher.PadId);
        Check("bos", student.BosId, teacher.BosId);
        Check("eos", student.EosId, teacher.EosId);
        Check("unk", student.UnkId, teacher.UnkId);
        if (diffs.Count > 0)
            throw new ArgumentException($"the student's tokenizer '{student.Name}' and the teacher's '{teacher.Name}' disagree on special ids: {string.Join("; ", diffs)}");
    }
}

/// <summary>One of our decoder-only models as a teacher, from a model or a checkpoint: eval mode,
/// no gradients. In BF16 only where the device computes it natively (CUDA): on this CPU a bf16
/// training step runs at 0.16-0.45x the fp32 speed (experiments/results/bench-train.json), so the
/// teacher stays in fp32 there unless asked otherwise.</summary>
public sealed class ModelTeacher : ITeacher
{
    readonly ILanguageModel model;
    public string Name { get; }
    public int VocabSize => model.Config.VocabSize;

    public ModelTeacher(ILanguageModel model, string? name = null, bool? bf16 = null)
    {
        if (model.Config.IsEncoderDecoder)
            throw new ArgumentException($"teacher {model.Config.Name} is an encoder-decoder; the paper's teachers are decoder-only");
        this.model = model;
        Name = name ?? model.Config.Name;
        model.Module.eval();
        if (bf16 ?? model.Device().type == DeviceType.CUDA) model.Module.to(ScalarType.BFloat16);
    }

    public static ModelTeacher Load(string checkpointDir, bool? bf16 = null) =>
        new(Checkpoint.Load(checkpointDir), Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpointDir)), bf16);

    public Tensor TargetLogits(Seq2SeqBatch batch)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return model.TargetLogits(batch).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Batched, KV-cached greedy decoding (the model's own EOS).</summary>
    public IReadOnlyList<int[]> Generate(IReadOnlyList<int[]> sources, int maxNewTokens, int eosId)
    {
        if (eosId != model.Config.EosId) throw new ArgumentException($"teacher {Name} stops at eos {model.Config.EosId}, not {eosId}");
        return Generation.GenerateExtensions.Generate(model, sources, new Generation.GenerationOptions { MaxNewTokens = maxNewTokens }).Tokens;
    }
}

/// <summary>
/// Teacher logits cached on disk, one file per (teacher, source, target) example, so that a
/// teacher runs once over a dataset however many epochs, seeds or students read it. Files are
/// safetensors of the example's fp32 logits (T_i, V) at its real target positions, written
/// atomically; a batch is assembled from them (zero logits at padded positions, which the loss
/// masks). A row's logits do not depend on the other rows of its batch (left alignment, RoPE's
/// relative positions), so cached logits equal computed ones up to the float rounding of another
/// batch shape.
/// </summary>
public sealed class CachedTeacher(ITeacher inner, string dir) : ITeacher
{
    public string Name => inner.Name;
    public int VocabSize => inner.VocabSize;
    public IReadOnlyList<int[]> Generate(IReadOnlyList<int[]> sources, int maxNewTokens, int eosId) => inner.Generate(sources, maxNewTokens, eosId);
    public int Hits { get; private set; }
    public int Misses { get; private set; }

    string PathOf(long[] source, long[] target)
    {
        var bytes = new byte[(source.Length + target.Length + 1) * sizeof(long)];
        Buffer.BlockCopy(source, 0, bytes, 0, source.Length * sizeof(long));
        BitConverter.GetBytes(-1L).CopyTo(bytes, source.Length * sizeof(long));
        Buffer.BlockCopy(target, 0, bytes, (source.Length + 1) * sizeof(long), target.Length * sizeof(long));
        var key = Convert.ToHexString(SHA256.HashData([.. System.Text.Encoding.UTF8.GetBytes(inner.Name + "\n"), .. bytes]))[..32].ToLowerInvariant();
        return Path.Combine(dir, key[..2], key + ".safetensors");
    }

    public Tensor TargetLogits(Seq2SeqBatch batch)
    {
        using var scope = NewDisposeScope();
        long b = batch.Source.shape[0], t = batch.Target.shape[1];
        var src = batch.Source.cpu(); var srcMask = batch.SourceMask.cpu(); var tgt = batch.Target.cpu(); var tgtMask = batch.TargetMask.cpu();
        var rows = new (long[] Source, long[] Target, string Path)[b];
        for (int i = 0; i < b; i++)
        {
            var s = src[i].masked_select(srcMask[i]).data<long>().ToArray();
            var y = tgt[i].masked_select(tgtMask[i]).data<long>().ToArray();
            rows[i] = (s, y, PathOf(s, y));
        }
        var missing = Enumerable.Range(0, (int)b).Where(i => !File.Exists(rows[i].Path)).ToList();
        if (missing.Count > 0)
        {
            // The missing rows as a batch of their own (their own padding): alignment makes each
            // row's logits independent of the others'.
            using var sub = Seq2SeqBatch.From(missing.Select(i => rows[i].Source.Select(x => (int)x).ToArray()).ToArray(),
                                              missing.Select(i => rows[i].Target.Select(x => (int)x).ToArray()).ToArray(), 0, batch.Source.device);
            var logits = inner.TargetLogits(sub).cpu();                                            // (M, T', V)
            for (int k = 0; k < missing.Count; k++)
            {
                var (_, y, path) = rows[missing[k]];
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var tmp = path + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
                SafeTensors.Save(tmp, [("logits", logits[k].narrow(0, 0, y.Length).contiguous())]);
                File.Move(tmp, path, overwrite: true);
            }
        }
        Hits += (int)b - missing.Count;
        Misses += missing.Count;
        var result = zeros([b, t, VocabSize], ScalarType.Float32);
        for (int i = 0; i < b; i++)
        {
            var row = SafeTensors.Load(rows[i].Path)["logits"];                                   // (T_i, V)
            result[i].narrow(0, 0, row.shape[0]).copy_(row);
        }
        return result.to(batch.Source.device).MoveToOuterDisposeScope();
    }
}
