using NotebookSlm.Models;

namespace NotebookSlm.Accounting;

/// <summary>
/// Analytic compute and memory for one configuration, the arithmetic behind the paper's
/// efficiency claims (sections 3.1, 3.3): encoder-decoders read the input once and keep
/// only decoder-side caches; decoder-only models push the input through every layer and
/// cache it everywhere.
/// </summary>
/// <remarks>
/// Conventions: a multiply-add is 2 FLOPs; biases, norms, softmax and RoPE are ignored
/// (well under 1% at these widths). Attention costs 4 * A FLOPs per (query, visible key)
/// pair (QK^T and AV, A = heads * head_dim); causal attention counts only visible pairs.
/// The LM head is applied where logits are needed: the first token after prefill, each
/// generated token, and each target position in training. Caches hold K and V for every
/// decoder layer (KV width = kv_heads * head_dim); an encoder-decoder also caches
/// cross-attention K/V over the input, computed once.
/// </remarks>
public sealed record CostModel(ModelConfig Config)
{
    long D => Config.DModel;
    long A => Config.AttentionWidth;
    long Kv => Config.KvWidth;
    long V => Config.VocabSize;
    long AttnWeights => D * A * 2 + 2 * D * Kv;                    // q, out + k, v
    long MlpWeights => (Config.Mlp == MlpKind.SwiGlu ? 3 : 2) * D * Config.MlpHidden;
    long HeadFlops => 2 * D * V;

    /// <summary>Causal (query, key) pairs for queries at positions p0..p0+n-1 (keys 0..p).</summary>
    static double CausalPairs(long n, long p0) => n * (double)p0 + n * (n + 1) / 2.0;

    /// <summary>Prefill (decoder-only) or encoding plus cross K/V projection (encoder-decoder)
    /// of an input of <paramref name="s"/> tokens, including the first token's logits.</summary>
    public double EncodeFlops(int s)
    {
        if (Config.IsEncoderDecoder)
        {
            double encoder = Config.EncoderLayers * (2.0 * (AttnWeights + MlpWeights) * s + 4.0 * A * s * (double)s);
            double crossKv = Config.DecoderLayers * 2.0 * s * (2 * D * Kv);
            return encoder + crossKv;                                // the first decoder step is a decode step
        }
        return Config.DecoderLayers * (2.0 * (AttnWeights + MlpWeights) * s + 4.0 * A * CausalPairs(s, 0)) + HeadFlops;
    }

    /// <summary>One generated token; <paramref name="t"/> counts tokens generated before it.</summary>
    public double DecodeTokenFlops(int s, int t)
    {
        if (Config.IsEncoderDecoder)
        {
            long perLayerWeights = AttnWeights + (D * A * 2) + MlpWeights;   // self attn + cross q, out + MLP
            return Config.DecoderLayers * (2.0 * perLayerWeights + 4.0 * A * (t + 1) + 4.0 * A * s) + HeadFlops;
        }
        return Config.DecoderLayers * (2.0 * (AttnWeights + MlpWeights) + 4.0 * A * (s + t + 1)) + HeadFlops;
    }

    /// <summary>Time to first token's work: encoding/prefill, plus (encoder-decoder) the first decoder step.</summary>
    public double FirstTokenFlops(int s) => Config.IsEncoderDecoder ? EncodeFlops(s) + DecodeTokenFlops(s, 0) : EncodeFlops(s);

    /// <summary>All work to read <paramref name="s"/> tokens and generate <paramref name="n"/>.</summary>
    public double GenerationFlops(int s, int n)
    {
        double total = FirstTokenFlops(s);
        for (int t = 1; t < n; t++) total += DecodeTokenFlops(s, Config.IsEncoderDecoder ? t : t - 1);
        return total;
    }

    /// <summary>Teacher-forced forward over an input of <paramref name="s"/> and a target of
    /// <paramref name="t"/> tokens (decoder-only: one sequence of s + t - 1).</summary>
    public double TrainingForwardFlops(int s, int t)
    {
        if (Config.IsEncoderDecoder)
        {
            long decWeights = AttnWeights + D * A * 2 + MlpWeights;
            double encoder = EncodeFlops(s);
            double decoder = Config.DecoderLayers * (2.0 * decWeights * t + 4.0 * A * CausalPairs(t, 0) + 4.0 * A * t * (double)s);
            return encoder + decoder + HeadFlops * (double)t;
        }
        long n = s + t - 1;
        return Config.DecoderLayers * (2.0 * (AttnWeights + MlpWeights) * n + 4.0 * A * CausalPairs(n, 0)) + HeadFlops * (double)t;
    }

    /// <summary>Forward plus backward (backward costs twice the forward).</summary>
    public double TrainingStepFlops(int s, int t) => 3 * TrainingForwardFlops(s, t);

    // ---- memory ----

    public long WeightBytes(int bytesPerParameter) => ParameterCounts.Of(Config).Total * bytesPerParameter;

    /// <summary>Self-attention KV cache after <paramref name="n"/> generated tokens.</summary>
    public long SelfCacheBytes(int batch, int s, int n, int bytesPerElement) =>
        2L * Config.DecoderLayers * Kv * (Config.IsEncoderDecoder ? n : s + n) * batch * bytesPerElement;

    /// <summary>Encoder-decoder cross-attention K/V over the input (0 for decoder-only).</summary>
    public long CrossCacheBytes(int batch, int s, int bytesPerElement) =>
        Config.IsEncoderDecoder ? 2L * Config.DecoderLayers * Kv * s * batch * bytesPerElement : 0;

    /// <summary>Final encoder states, (B, S, D); alive until cross K/V are projected.</summary>
    public long EncoderStateBytes(int batch, int s, int bytesPerElement) =>
        Config.IsEncoderDecoder ? (long)batch * s * D * bytesPerElement : 0;

    /// <summary>Weights, caches and encoder states during generation of n tokens.</summary>
    public long InferenceBytes(int batch, int s, int n, int bytesPerElement) =>
        WeightBytes(bytesPerElement) + SelfCacheBytes(batch, s, n, bytesPerElement)
        + CrossCacheBytes(batch, s, bytesPerElement) + EncoderStateBytes(batch, s, bytesPerElement);

    /// <summary>
    /// Bytes a decode step must read (batch 1): every weight it multiplies by, plus the caches
    /// it attends over. Token-by-token decoding is memory-bound, so bandwidth divided by this
    /// is the ceiling on tokens per second (docs/architecture.md, "Benchmarks").
    /// </summary>
    public double BytesPerDecodedToken(int s, int t, int bytesPerElement) => BytesPerDecodedToken(s, t, bytesPerElement, bytesPerElement);

    /// <summary>As above with weights and caches stored differently (4-bit weights, fp32 cache).</summary>
    public double BytesPerDecodedToken(int s, int t, double weightBytes, double cacheBytes)
    {
        long weights = Config.IsEncoderDecoder
            ? Config.DecoderLayers * (AttnWeights + D * A * 2 + MlpWeights) + D * V
            : Config.DecoderLayers * (AttnWeights + MlpWeights) + D * V;
        double cache = Config.IsEncoderDecoder
            ? 2.0 * Config.DecoderLayers * Kv * ((t + 1) + s)
            : 2.0 * Config.DecoderLayers * Kv * (s + t + 1);
        return weights * weightBytes + cache * cacheBytes;
    }
}
