using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSlm.Models;

/// <summary>What every self-attention layer of one forward shares: RoPE tables and the mask.</summary>
public sealed record SelfAttentionContext(RopeTables Rope, Tensor? Allowed);

/// <summary>
/// Pre-norm block with one self-attention: x + attn(ln1(x)), then x + mlp(ln2(x)).
/// It is the encoder block (bidirectional mask) and the decoder-only block (causal mask,
/// optional KV cache); the two share checkpoint keys {ln1, attn, ln2, mlp}.
/// </summary>
public sealed class SelfAttentionBlock : nn.Module<Tensor, SelfAttentionContext, Tensor>
{
    // checkpoint keys: transformer.e.{i}.* (encoder) or transformer.h.{i}.* (decoder-only)
    readonly RmsNorm ln1, ln2;
    readonly Attention attn;
    readonly Mlp mlp;

    public SelfAttentionBlock(ModelConfig c) : base(nameof(SelfAttentionBlock))
    {
        ln1 = new RmsNorm(c.DModel, c.NormEps);
        attn = new Attention(c);
        ln2 = new RmsNorm(c.DModel, c.NormEps);
        mlp = new Mlp(c);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, SelfAttentionContext ctx) => Forward(x, ctx, null);

    public Tensor Forward(Tensor x, SelfAttentionContext ctx, KvCache.Layer? cache)
    {
        using var scope = NewDisposeScope();
        x = x + attn.SelfAttend(ln1.forward(x), ctx.Rope, ctx.Allowed, cache);
        x = x + mlp.forward(ln2.forward(x));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>Cross-attention inputs of one decoder forward: the final encoder states (or,
/// when every layer's K/V is cached, none) and the encoder padding mask.</summary>
public sealed record CrossContext(Tensor? EncoderStates, Tensor? Allowed);

/// <summary>
/// Encoder-decoder decoder block: causal self-attention (ln1), cross-attention over the
/// final encoder states without RoPE (ln2), MLP (ln3); three pre-norms as released.
/// </summary>
public sealed class DecoderBlock : nn.Module<Tensor, SelfAttentionContext, CrossContext, Tensor>
{
    // checkpoint keys: transformer.h.{i}.{ln1, causal_attn, ln2, cross_attn, ln3, mlp}
    readonly RmsNorm ln1, ln2, ln3;
    readonly Attention causal_attn, cross_attn;
    readonly Mlp mlp;

    public DecoderBlock(ModelConfig c) : base(nameof(DecoderBlock))
    {
        ln1 = new RmsNorm(c.DModel, c.NormEps);
        causal_attn = new Attention(c);
        ln2 = new RmsNorm(c.DModel, c.NormEps);
        cross_attn = new Attention(c);
        ln3 = new RmsNorm(c.DModel, c.NormEps);
        mlp = new Mlp(c);
        RegisterComponents();
    }

    /// <summary>Cross-attention keys and values of this layer for the given encoder states.</summary>
    public (Tensor K, Tensor V) CrossKeysValues(Tensor encoderStates) => cross_attn.KeysValues(encoderStates);

    public override Tensor forward(Tensor x, SelfAttentionContext self, CrossContext cross) => Forward(x, self, cross, null);

    public Tensor Forward(Tensor x, SelfAttentionContext self, CrossContext cross, KvCache.Layer? cache)
    {
        using var scope = NewDisposeScope();
        x = x + causal_attn.SelfAttend(ln1.forward(x), self.Rope, self.Allowed, cache);
        var (k, v) = cache?.CrossK is { } ck
            ? (ck, cache.CrossV!)
            : CrossKeysValues(cross.EncoderStates ?? throw new InvalidOperationException("no encoder states and no cached cross K/V"));
        x = x + cross_attn.CrossAttend(ln2.forward(x), k, v, cross.Allowed);
        x = x + mlp.forward(ln3.forward(x));
        return x.MoveToOuterDisposeScope();
    }
}
