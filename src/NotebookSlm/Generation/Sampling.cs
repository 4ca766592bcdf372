using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSlm.Generation;

/// <summary>How the next token is chosen. Greedy ignores the rest; otherwise logits are divided
/// by Temperature, cut to the TopK best (0: no cut) and to the smallest set whose probability
/// reaches TopP (1: no cut), then sampled from a generator seeded with Seed.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 64;
    public bool Greedy { get; init; } = true;
    public double Temperature { get; init; } = 1.0;
    public int TopK { get; init; }
    public double TopP { get; init; } = 1.0;
    public long Seed { get; init; }
    public bool UseCache { get; init; } = true;
    /// <summary>Stop a row at its EOS (and the batch once every row has); benchmarks turn it off.</summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>Greedy, exactly <paramref name="tokens"/> tokens with EOS ignored: the benchmark
    /// protocol (paper Table 2 times a fixed output length), and calibration runs.</summary>
    public static GenerationOptions Exactly(int tokens) => new() { MaxNewTokens = tokens, StopAtEos = false };

    /// <summary>The released code's student sampling for on-policy distillation (temperature
    /// 0.9, top-k 128 in the authors' KD script; paper supplement 5.1).</summary>
    public static GenerationOptions StudentSampling => new() { Greedy = false, Temperature = 0.9, TopK = 128 };

    public GenerationOptions Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentException($"MaxNewTokens must be at least 1 (got {MaxNewTokens})");
        if (!Greedy && Temperature <= 0) throw new ArgumentException($"Temperature must be positive (got {Temperature}); use Greedy for argmax");
        if (TopK < 0) throw new ArgumentException($"TopK must not be negative (got {TopK})");
        if (TopP <= 0 || TopP > 1) throw new ArgumentException($"TopP must be in (0, 1] (got {TopP})");
        return this;
    }
}

public static class Sampling
{
    /// <summary>Greedy choice over one row of logits: the first index of the largest value, on
    /// the host (ONNX Runtime loops read logits as spans; no tensor round trip per token).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    /// <summary>Next token (B) from logits (B, V).</summary>
    public static Tensor Pick(Tensor logits, GenerationOptions o, torch.Generator? generator)
    {
        using var scope = NewDisposeScope();
        var l = logits.to(ScalarType.Float32);
        if (o.Greedy) return l.argmax(-1).MoveToOuterDisposeScope();
        l = l / o.Temperature;
        if (o.TopK > 0 && o.TopK < l.shape[^1])
        {
            var (values, _) = l.topk(o.TopK, dim: -1);
            l = l.masked_fill(l.lt(values.narrow(-1, o.TopK - 1, 1)), double.NegativeInfinity);
        }
        if (o.TopP < 1.0)
        {
            var (sorted, order) = l.sort(-1, descending: true);
            var probs = sorted.softmax(-1);
            // Drop a token when the mass before it already reaches TopP; the best always stays.
            var before = probs.cumsum(-1) - probs;
            var dropSorted = before.ge(o.TopP);
            var drop = zeros_like(dropSorted, dtype: ScalarType.Int64).scatter(-1, order, dropSorted.to(ScalarType.Int64)).to(ScalarType.Bool);
            l = l.masked_fill(drop, double.NegativeInfinity);
        }
        return l.softmax(-1).multinomial(1, generator: generator).squeeze(-1).MoveToOuterDisposeScope();
    }
}
