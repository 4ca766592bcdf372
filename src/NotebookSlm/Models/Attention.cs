using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookSlm.Models;

/// <summary>
/// Grouped-query attention (Ainslie et al.), one class for bidirectional encoder
/// self-attention, causal decoder self-attention and cross-attention: the caller decides
/// the key source, the mask and whether RoPE applies (paper 3.1; RoPE on self-attention only, as in
/// the released code).
/// </summary>
/// <remarks>
/// K/V heads are never copied out to the query-head count. Queries that share a K/V head
/// are folded into the sequence axis instead, (B, H, T, Dh) to (B, Hkv, G*T, Dh), so one
/// fused attention call reads each cached K/V head once per token: decoding is bound by
/// the bytes it reads (docs/architecture.md, "Benchmarks").
/// </remarks>
public sealed class Attention : nn.Module<Tensor, Tensor, Tensor>
{
    // checkpoint keys: <prefix>.{q,k,v,out}_linear.{weight,bias}
    readonly Linear q_linear, k_linear, v_linear, out_linear;
    readonly int heads, kvHeads, headDim;
    readonly bool interleaved;
    readonly double dropout;

    public Attention(ModelConfig c) : base(nameof(Attention))
    {
        heads = c.Heads; kvHeads = c.KvHeads; headDim = c.HeadDim;
        interleaved = c.KvInterleaved; dropout = c.Dropout;
        q_linear = nn.Linear(c.DModel, c.AttentionWidth, hasBias: c.Bias);
        k_linear = nn.Linear(c.DModel, c.KvWidth, hasBias: c.Bias);
        v_linear = nn.Linear(c.DModel, c.KvWidth, hasBias: c.Bias);
        out_linear = nn.Linear(c.AttentionWidth, c.DModel, hasBias: c.Bias);
        RegisterComponents();
    }

    /// <summary>(B, T, D) to (B, H, T, Dh).</summary>
    public Tensor Queries(Tensor x) => SplitHeads(q_linear.forward(x), heads);

    /// <summary>(B, S, D) to keys and values, each (B, Hkv, S, Dh).</summary>
    public (Tensor K, Tensor V) KeysValues(Tensor x) =>
        (SplitHeads(k_linear.forward(x), kvHeads), SplitHeads(v_linear.forward(x), kvHeads));

    /// <summary>Self-attention over <paramref name="x"/> with RoPE on q and k. With a cache,
    /// the new keys and values are appended and attention covers everything cached.</summary>
    public Tensor SelfAttend(Tensor x, in RopeTables rope, Tensor? allowed, KvCache.Layer? cache)
    {
        using var scope = NewDisposeScope();
        var q = Rope.Apply(Queries(x), rope.Cos, rope.Sin);
        var (k, v) = KeysValues(x);
        k = Rope.Apply(k, rope.Cos, rope.Sin);
        if (cache is not null) (k, v) = cache.Append(k, v);
        return Attend(q, k, v, allowed).MoveToOuterDisposeScope();
    }

    /// <summary>Cross-attention from <paramref name="x"/> to precomputed encoder keys/values (no RoPE).</summary>
    public Tensor CrossAttend(Tensor x, Tensor k, Tensor v, Tensor? allowed)
    {
        using var scope = NewDisposeScope();
        return Attend(Queries(x), k, v, allowed).MoveToOuterDisposeScope();
    }

    /// <summary>Plain attention of x over source, no mask and no RoPE.</summary>
    public override Tensor forward(Tensor x, Tensor source)
    {
        using var scope = NewDisposeScope();
        var (k, v) = KeysValues(source);
        return Attend(Queries(x), k, v, null).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// q (B, H, T, Dh) against k, v (B, Hkv, S, Dh); <paramref name="allowed"/> is a boolean
    /// (B or 1, 1, T, S) mask, true where a query may look. Returns (B, T, D).
    /// </summary>
    public Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? allowed)
    {
        using var scope = NewDisposeScope();
        long b = q.shape[0], t = q.shape[2];
        int g = heads / kvHeads;
        double p = training ? dropout : 0.0;
        Tensor output;
        if (g == 1)
        {
            output = F.scaled_dot_product_attention(q, k, v, allowed, p);            // (B, H, T, Dh)
        }
        else
        {
            // Fold the G queries of each K/V head into the sequence axis.
            // Released layout: head h reads K/V head h mod Hkv, so h = g' * Hkv + j.
            var grouped = interleaved
                ? q.reshape(b, kvHeads, g, t, headDim)                                   // (B, Hkv, G, T, Dh)
                : q.reshape(b, g, kvHeads, t, headDim).transpose(1, 2);                  // (B, Hkv, G, T, Dh)
            grouped = grouped.reshape(b, kvHeads, g * t, headDim);                       // (B, Hkv, G*T, Dh)
            Tensor? mask = allowed is null ? null
                : allowed.unsqueeze(2).expand(allowed.shape[0], 1, g, t, allowed.shape[^1])
                         .reshape(allowed.shape[0], 1, g * t, allowed.shape[^1]);        // (B, 1, G*T, S)
            var o = F.scaled_dot_product_attention(grouped, k, v, mask, p)               // (B, Hkv, G*T, Dh)
                     .reshape(b, kvHeads, g, t, headDim);
            output = interleaved
                ? o.reshape(b, heads, t, headDim)                                        // (B, H, T, Dh)
                : o.transpose(1, 2).reshape(b, heads, t, headDim);
        }
        var merged = output.transpose(1, 2).reshape(b, t, heads * headDim);              // (B, T, H*Dh)
        return out_linear.forward(merged).MoveToOuterDisposeScope();
    }

    Tensor SplitHeads(Tensor x, int n) =>
        x.view(x.shape[0], x.shape[1], n, headDim).transpose(1, 2);                      // (B, n, T, Dh)
}

/// <summary>cos/sin tables (T, Dh) shared by every self-attention layer of one forward.</summary>
public readonly record struct RopeTables(Tensor Cos, Tensor Sin);
