using NotebookSlm.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSlm.Models;

/// <summary>
/// The decoder-only baseline: one causal stack over the concatenated input and output
/// (paper 3.1). As a sequence-to-sequence model it reads <c>[PAD]^n . x . y</c>: sources are
/// left-aligned so that every source ends at the same column and the logits of target
/// step t sit at position S - 1 + t, the layout the distillation teacher uses (paper 3.2).
/// Parameter names: transformer.{wte, h, ln_f}, each block {ln1, attn, ln2, mlp}.
/// </summary>
public sealed class DecoderOnlyLM : nn.Module<Tensor, Tensor>, ILanguageModel
{
    /// <summary>The <c>transformer</c> container.</summary>
    public sealed class Stack : nn.Module
    {
        public readonly Embedding wte;
        public readonly ModuleList<SelfAttentionBlock> h;
        public readonly RmsNorm ln_f;

        public Stack(ModelConfig c) : base("transformer")
        {
            wte = nn.Embedding(c.VocabSize, c.DModel);
            h = nn.ModuleList(Enumerable.Range(0, c.DecoderLayers).Select(_ => new SelfAttentionBlock(c)).ToArray());
            ln_f = new RmsNorm(c.DModel, c.NormEps);
            RegisterComponents();
        }
    }

    readonly Stack transformer;
    readonly Linear? lm_head;

    public ModelConfig Config { get; }
    public nn.Module Module => this;

    public DecoderOnlyLM(ModelConfig config, long seed = 42) : base(nameof(DecoderOnlyLM))
    {
        TorchRuntime.EnsureLoaded();
        Config = config.Validate();
        if (config.IsEncoderDecoder) throw new ConfigException($"'{config.Name}' is not a decoder-only config");
        transformer = new Stack(config);
        if (!config.TiedEmbeddings) lm_head = nn.Linear(config.DModel, config.VocabSize, hasBias: false);
        RegisterComponents();
        LanguageModel.Initialize(this, seed);
    }

    /// <summary>
    /// Ids (B, T) continuing what <paramref name="cache"/> holds to final hidden states (B, T, D).
    /// <paramref name="valid"/> (B, cached + T) marks real tokens (left padding is false);
    /// null means nothing is padded.
    /// </summary>
    public Tensor Hidden(Tensor ids, Tensor? valid, KvCache? cache, int ntkLength)
    {
        using var scope = NewDisposeScope();
        int t = (int)ids.shape[1];
        int offset = (int)(cache?.Length ?? 0);
        var x = transformer.wte.forward(ids);                                                    // (B, T, D)
        // Positions count pads too; RoPE scores depend only on offsets, so left padding
        // does not move real tokens relative to each other.
        var rope = LanguageModel.RopeFor(Config, t, offset, centered: false, ntkLength, x);
        Tensor? allowed = valid is null
            ? (t == 1 ? null : Masks.Causal(t, offset + t, offset, x.device))
            : Masks.CausalWithPadding(valid, t, offset);
        var ctx = new SelfAttentionContext(rope, allowed);
        for (int i = 0; i < transformer.h.Count; i++)
            x = transformer.h[i].Forward(x, ctx, cache?.Layers[i]);
        cache?.Advance(t);
        return transformer.ln_f.forward(x).MoveToOuterDisposeScope();
    }

    Tensor Head(Tensor hidden) => LanguageModel.Head(hidden, transformer.wte, lm_head);

    /// <summary>Ids (B, T) to logits (B, T, V), no padding.</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        return Head(Hidden(ids, null, null, (int)ids.shape[1])).MoveToOuterDisposeScope();
    }

    public Tensor TargetLogits(Seq2SeqBatch batch)
    {
        using var scope = NewDisposeScope();
        long s = batch.Source.shape[1], t = batch.Target.shape[1];
        // Unpadded sources are already aligned. Target padding needs no mask: it follows
        // every real token, and causality hides it from them.
        var (src, srcValid) = batch.SourcePadded
            ? LanguageModel.LeftAlign(batch.Source, batch.SourceMask)                              // (B, S)
            : (batch.Source, null);
        var ids = cat([src, batch.Target.narrow(1, 0, t - 1)], 1);                                // (B, S+T-1)
        var valid = srcValid is null ? null : cat([srcValid, batch.TargetMask.narrow(1, 0, t - 1)], 1);
        var hidden = Hidden(ids, valid, null, (int)ids.shape[1]);
        return Head(hidden.narrow(1, s - 1, t)).MoveToOuterDisposeScope();                      // (B, T, V)
    }

    public IDecodingSession StartDecoding(Tensor source, Tensor? sourceMask, int maxNewTokens, bool useCache) =>
        new Session(this, source, sourceMask, maxNewTokens, useCache);

    /// <summary>Prefills the left-aligned prompt, then decodes one token per step against the
    /// KV cache, or (no cache) recomputes the whole sequence every step.</summary>
    sealed class Session : IDecodingSession
    {
        readonly DecoderOnlyLM model;
        readonly KvCache? cache;
        readonly int ntkLength;
        Tensor ids;
        // Validity of every position so far (B, cached + T); null when no source is padded.
        Tensor? valid;

        public Session(DecoderOnlyLM model, Tensor source, Tensor? sourceMask, int maxNewTokens, bool useCache)
        {
            this.model = model;
            if (sourceMask is null) ids = source.alias().DetachFromDisposeScope();
            else
            {
                var (aligned, alignedValid) = LanguageModel.LeftAlign(source, sourceMask);
                ids = aligned.DetachFromDisposeScope();
                valid = alignedValid.DetachFromDisposeScope();
            }
            long capacity = source.shape[1] + maxNewTokens;
            ntkLength = (int)capacity;
            if (useCache) cache = new KvCache(model.Config, source.shape[0], capacity, model.transformer.wte.weight!.dtype, source.device);
        }

        public Tensor Prefill()
        {
            using var scope = NewDisposeScope();
            var hidden = model.Hidden(ids, valid, cache, ntkLength);
            return model.Head(hidden.select(1, -1)).MoveToOuterDisposeScope();                  // (B, V)
        }

        public Tensor Step(Tensor tokens)
        {
            using var scope = NewDisposeScope();
            var column = tokens.reshape(-1, 1);
            if (valid is not null) Replace(ref valid, cat([valid, ones_like(column, dtype: ScalarType.Bool)], 1));
            Tensor hidden;
            if (cache is not null)
            {
                hidden = model.Hidden(column, valid, cache, ntkLength);
            }
            else
            {
                Replace(ref ids!, cat([ids, column], 1));
                hidden = model.Hidden(ids, valid, null, ntkLength);
            }
            return model.Head(hidden.select(1, -1)).MoveToOuterDisposeScope();
        }

        static void Replace(ref Tensor? field, Tensor value)
        {
            var old = field;
            field = value.DetachFromDisposeScope();
            old?.Dispose();
        }

        public void Dispose() { ids.Dispose(); valid?.Dispose(); cache?.Dispose(); }
    }
}
