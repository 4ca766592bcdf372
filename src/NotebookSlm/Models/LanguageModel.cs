using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookSlm.Models;

/// <summary>
/// (source, target) token pairs, right-padded: Source (B, S) with SourceMask, Target (B, T)
/// with TargetMask. Targets are what the model must produce (ending in EOS); each model
/// builds its own decoder inputs from them.
/// </summary>
public sealed record Seq2SeqBatch(Tensor Source, Tensor SourceMask, Tensor Target, Tensor TargetMask) : IDisposable
{
    public long BatchSize => Source.shape[0];

    /// <summary>Whether some source row is shorter than the longest. Known on the host when the
    /// batch is built, so that a forward decides whether to mask without reading the mask back
    /// from the device; true (mask) when a batch is made from tensors alone. Target padding needs
    /// no mask: it sits after every real token, which causality already hides it from.</summary>
    public bool SourcePadded { get; init; } = true;

    /// <summary>Pads the rows on the host and makes the tensors on <paramref name="device"/> (the model's).</summary>
    public static Seq2SeqBatch From(IReadOnlyList<int[]> sources, IReadOnlyList<int[]> targets, int padId, Device? device = null)
    {
        if (sources.Count != targets.Count)
            throw new ArgumentException($"{sources.Count} sources but {targets.Count} targets");
        var (s, sm) = Pad(sources, padId, "source", device);
        var (t, tm) = Pad(targets, padId, "target", device);
        return new Seq2SeqBatch(s, sm, t, tm) { SourcePadded = Padded(sources) };
    }

    /// <summary>A batch of tokenized pairs (from <see cref="Data.Batching"/>), each side padded to
    /// its own longest row.</summary>
    public static Seq2SeqBatch From(IReadOnlyList<Data.TokenizedPair> batch, int padId, Device? device = null) =>
        From(batch.Select(p => p.Source).ToArray(), batch.Select(p => p.Target).ToArray(), padId, device);

    /// <summary>Whether right-padding these rows pads any of them.</summary>
    public static bool Padded(IReadOnlyList<int[]> rows) => rows.Any(r => r.Length != rows[0].Length);

    /// <summary>Right-pads token rows into ids (B, L) and a validity mask (B, L), on <paramref name="device"/>.</summary>
    public static (Tensor Ids, Tensor Mask) Pad(IReadOnlyList<int[]> rows, int padId, string what = "row", Device? device = null)
    {
        var (ids, lengths, len) = RightPad(rows, padId, what);
        var mask = new bool[ids.Length];
        for (int i = 0; i < rows.Count; i++) Array.Fill(mask, true, i * len, lengths[i]);
        return (tensor(ids, [rows.Count, len], device: device), tensor(mask, [rows.Count, len], device: device));
    }

    /// <summary>Right-pads token rows on the host: ids (B * L, row-major), each row's length
    /// and L. The tensors above and the ONNX Runtime loops' bound buffers are filled from it.</summary>
    public static (long[] Ids, int[] Lengths, int Width) RightPad(IReadOnlyList<int[]> rows, int padId, string what = "row")
    {
        if (rows.Count == 0) throw new ArgumentException($"no {what}s");
        for (int i = 0; i < rows.Count; i++)
            if (rows[i].Length == 0) throw new ArgumentException($"{what} {i} is empty");
        int len = rows.Max(r => r.Length);
        var ids = new long[rows.Count * len];
        Array.Fill(ids, padId);
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < rows[i].Length; j++) ids[i * len + j] = rows[i][j];
        return (ids, rows.Select(r => r.Length).ToArray(), len);
    }

    public void Dispose() { Source.Dispose(); SourceMask.Dispose(); Target.Dispose(); TargetMask.Dispose(); }
}

/// <summary>Incremental decoding of a batch: first-token logits, then one step per token.</summary>
public interface IDecodingSession : IDisposable
{
    /// <summary>Processes the input (encode, or decoder-only prefill) and returns the logits (B, V)
    /// of the first generated token.</summary>
    Tensor Prefill();
    /// <summary>Feeds one token per row (B) and returns the logits (B, V) of the next.</summary>
    Tensor Step(Tensor tokens);
}

/// <summary>What training, distillation and generation need from either architecture.</summary>
public interface ILanguageModel
{
    ModelConfig Config { get; }
    /// <summary>The TorchSharp module (parameters, train/eval, dtype moves).</summary>
    nn.Module Module { get; }
    /// <summary>Teacher-forced logits (B, T, V) at every target position.</summary>
    Tensor TargetLogits(Seq2SeqBatch batch);
    /// <summary>Starts decoding right-padded sources; <paramref name="sourceMask"/> is null when no
    /// row is padded. Without a cache every step recomputes the decoder over everything
    /// generated so far (the released algorithm).</summary>
    IDecodingSession StartDecoding(Tensor source, Tensor? sourceMask, int maxNewTokens, bool useCache);
}

public static class LanguageModel
{
    /// <summary>Mean cross-entropy over real target tokens; padding is ignored.</summary>
    public static Tensor Loss(this ILanguageModel model, Seq2SeqBatch batch)
    {
        using var scope = NewDisposeScope();
        var logits = model.TargetLogits(batch);
        return TokenCrossEntropy(logits, batch.Target, batch.TargetMask).MoveToOuterDisposeScope();
    }

    /// <summary>Cross-entropy over the real target tokens (fp32 logits): their mean, or with
    /// <paramref name="reduction"/> Sum their total (training divides it by a whole step's tokens).</summary>
    public static Tensor TokenCrossEntropy(Tensor logits, Tensor targets, Tensor mask, nn.Reduction reduction = nn.Reduction.Mean)
    {
        using var scope = NewDisposeScope();
        var labels = targets.masked_fill(mask.logical_not(), -100);
        return F.cross_entropy(logits.reshape(-1, logits.shape[^1]).to(ScalarType.Float32), labels.reshape(-1), ignore_index: -100, reduction: reduction)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Builds either architecture from its configuration.</summary>
    public static ILanguageModel Create(ModelConfig config, long seed = 42) => config.Architecture switch
    {
        Architecture.EncoderDecoder => new EncoderDecoderLM(config, seed),
        Architecture.DecoderOnly => new DecoderOnlyLM(config, seed),
        _ => throw new ConfigException($"unknown architecture {config.Architecture}"),
    };

    public static ScalarType DType(this ILanguageModel model) => model.Module.parameters().First().dtype;

    /// <summary>Where the model's parameters live; batches, masks and caches are made there. A
    /// model without parameters (a scripted test double) runs on the CPU.</summary>
    public static Device Device(this ILanguageModel model) => model.Module.parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary>Initialisation of the released code: N(0, 0.02) for linear and embedding
    /// weights, zero biases, unit norm gains; drawn from a generator seeded with <paramref name="seed"/>.</summary>
    internal static void Initialize(nn.Module module, long seed)
    {
        using var _ = no_grad();
        // Tensor.normal_ with a generator: TorchSharp 0.107's nn.init.normal_ ignores its
        // generator argument and draws from the global RNG (measured: two same-seed draws differ).
        var gen = new Generator((ulong)seed);
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Linear lin:
                    lin.weight!.normal_(0, 0.02, gen);
                    if (lin.bias is not null) nn.init.zeros_(lin.bias);
                    break;
                case Embedding emb:
                    emb.weight!.normal_(0, 0.02, gen);
                    break;
            }
        }
    }

    /// <summary>RoPE tables for positions offset..offset+T-1 (centred for encoders), with the
    /// NTK base for a sequence of <paramref name="ntkLength"/> tokens, in the dtype and on the
    /// device of <paramref name="like"/>.</summary>
    internal static RopeTables RopeFor(ModelConfig c, int length, int offset, bool centered, int ntkLength, Tensor like)
    {
        using var scope = NewDisposeScope();
        var dtype = like.dtype;
        var positions = Rope.Positions(length, offset, centered, like.device);
        var (cos, sin) = Rope.Angles(positions, c.HeadDim, Rope.NtkBase(c.RopeTheta, c.RopeFactor, c.HeadDim, ntkLength, c.BlockSize), dtype);
        return new RopeTables(cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>Logits from final hidden states: tied to the token embedding unless a head exists.</summary>
    internal static Tensor Head(Tensor hidden, Embedding wte, Linear? lmHead) =>
        lmHead is null ? F.linear(hidden, wte.weight!) : lmHead.forward(hidden);

    /// <summary>Moves each right-padded row's tokens to the right end: (ids, mask) become
    /// left-padded, so that every source ends at column S-1 (decoder-only layout).</summary>
    public static (Tensor Ids, Tensor Mask) LeftAlign(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long s = ids.shape[1];
        var lengths = mask.to(ScalarType.Int64).sum(1, keepdim: true);                  // (B, 1)
        var index = (arange(s, dtype: ScalarType.Int64, device: ids.device).unsqueeze(0) + lengths).remainder(s); // (B, S)
        return (ids.gather(1, index).MoveToOuterDisposeScope(), mask.gather(1, index).MoveToOuterDisposeScope());
    }
}
