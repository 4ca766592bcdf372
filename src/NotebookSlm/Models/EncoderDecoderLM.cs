using NotebookSlm.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSlm.Models;

/// <summary>
/// The paper's encoder-decoder (section 3.1): a bidirectional encoder reads the input once;
/// a causal decoder cross-attends to its final states. Parameter names are the released
/// checkpoint's: transformer.{wte, e, ln_e, h, ln_f}, and lm_head tied to wte.
/// </summary>
public sealed class EncoderDecoderLM : nn.Module<Tensor, Tensor, Tensor>, ILanguageModel
{
    /// <summary>The <c>transformer</c> container of the released checkpoint.</summary>
    public sealed class Stack : nn.Module
    {
        public readonly Embedding wte;
        public readonly ModuleList<SelfAttentionBlock> e;
        public readonly RmsNorm ln_e;
        public readonly ModuleList<DecoderBlock> h;
        public readonly RmsNorm ln_f;

        public Stack(ModelConfig c) : base("transformer")
        {
            wte = nn.Embedding(c.VocabSize, c.DModel);
            e = nn.ModuleList(Enumerable.Range(0, c.EncoderLayers).Select(_ => new SelfAttentionBlock(c)).ToArray());
            ln_e = new RmsNorm(c.DModel, c.NormEps);
            h = nn.ModuleList(Enumerable.Range(0, c.DecoderLayers).Select(_ => new DecoderBlock(c)).ToArray());
            ln_f = new RmsNorm(c.DModel, c.NormEps);
            RegisterComponents();
        }
    }

    readonly Stack transformer;
    readonly Linear? lm_head;

    public ModelConfig Config { get; }
    public nn.Module Module => this;

    public EncoderDecoderLM(ModelConfig config, long seed = 42) : base(nameof(EncoderDecoderLM))
    {
        TorchRuntime.EnsureLoaded();
        Config = config.Validate();
        if (!config.IsEncoderDecoder) throw new ConfigException($"'{config.Name}' is not an encoder-decoder config");
        transformer = new Stack(config);
        if (!config.TiedEmbeddings) lm_head = nn.Linear(config.DModel, config.VocabSize, hasBias: false);
        RegisterComponents();
        LanguageModel.Initialize(this, seed);
    }

    ScalarType DType => transformer.wte.weight!.dtype;

    /// <summary>Source ids (B, S) and validity (B, S; null when nothing is padded) to final,
    /// normed encoder states (B, S, D).</summary>
    public Tensor Encode(Tensor source, Tensor? sourceMask)
    {
        using var scope = NewDisposeScope();
        int s = (int)source.shape[1];
        var x = transformer.wte.forward(source);                                                 // (B, S, D)
        var rope = LanguageModel.RopeFor(Config, s, 0, Config.CenteredEncoderPositions, s, x);
        var ctx = new SelfAttentionContext(rope, PaddingMask(sourceMask));
        foreach (var block in transformer.e) x = block.forward(x, ctx);
        return transformer.ln_e.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Decoder ids (B, T) to logits (B, T, V). With a cache, the ids continue what it
    /// holds and cross-attention uses its K/V; otherwise encoder states are projected here.</summary>
    public Tensor Decode(Tensor decoderIds, CrossContext cross, KvCache? cache, int ntkLength)
    {
        using var scope = NewDisposeScope();
        int t = (int)decoderIds.shape[1];
        int offset = (int)(cache?.Length ?? 0);
        var x = transformer.wte.forward(decoderIds);                                             // (B, T, D)
        var rope = LanguageModel.RopeFor(Config, t, offset, centered: false, ntkLength, x);
        // Right padding only: causality alone keeps real tokens from seeing pads.
        var self = new SelfAttentionContext(rope, t == 1 ? null : Masks.Causal(t, offset + t, offset, x.device));
        for (int i = 0; i < transformer.h.Count; i++)
            x = transformer.h[i].Forward(x, self, cross, cache?.Layers[i]);
        cache?.Advance(t);
        var logits = LanguageModel.Head(transformer.ln_f.forward(x), transformer.wte, lm_head);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Released signature: (encoder ids, decoder ids) to logits, padding from the pad id
    /// (always masked: whether anything is padded is not known without reading the ids back).</summary>
    public override Tensor forward(Tensor source, Tensor decoderIds)
    {
        using var scope = NewDisposeScope();
        var mask = source.ne(Config.PadId);
        var states = Encode(source, mask);
        return Decode(decoderIds, new CrossContext(states, PaddingMask(mask)), null, (int)decoderIds.shape[1]).MoveToOuterDisposeScope();
    }

    public Tensor TargetLogits(Seq2SeqBatch batch)
    {
        using var scope = NewDisposeScope();
        var mask = batch.SourcePadded ? batch.SourceMask : null;
        var states = Encode(batch.Source, mask);
        var decoderIds = ShiftRight(batch.Target);                                                // [BOS] . y[:-1]
        return Decode(decoderIds, new CrossContext(states, PaddingMask(mask)), null, (int)decoderIds.shape[1])
            .MoveToOuterDisposeScope();
    }

    Tensor ShiftRight(Tensor target)
    {
        using var scope = NewDisposeScope();
        var bos = full(target.shape[0], 1, Config.BosId, dtype: ScalarType.Int64, device: target.device);
        return cat([bos, target.narrow(1, 0, target.shape[1] - 1)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>(B, S) validity to a key-padding mask; none when nothing is padded.</summary>
    static Tensor? PaddingMask(Tensor? valid) => valid is null ? null : Masks.KeyPadding(valid);

    public IDecodingSession StartDecoding(Tensor source, Tensor? sourceMask, int maxNewTokens, bool useCache) =>
        new Session(this, source, sourceMask, maxNewTokens, useCache);

    /// <summary>Encodes once; then each step runs the decoder on one token against the KV cache
    /// and the precomputed cross K/V, or (no cache) on everything generated so far.</summary>
    sealed class Session(EncoderDecoderLM model, Tensor source, Tensor? sourceMask, int maxNewTokens, bool useCache) : IDecodingSession
    {
        Tensor? states, crossAllowed, history;
        KvCache? cache;
        // One NTK length for the whole generation keeps cached and recomputed runs identical.
        readonly int ntkLength = maxNewTokens + 1;

        public Tensor Prefill()
        {
            using var scope = NewDisposeScope();
            states = model.Encode(source, sourceMask).DetachFromDisposeScope();
            crossAllowed = PaddingMask(sourceMask)?.DetachFromDisposeScope();
            if (useCache)
            {
                cache = new KvCache(model.Config, source.shape[0], maxNewTokens + 1, model.DType, source.device);
                for (int i = 0; i < cache.Layers.Length; i++)
                {
                    var (k, v) = model.transformer.h[i].CrossKeysValues(states);
                    cache.Layers[i].SetCross(k, v);
                }
            }
            var bos = torch.full(source.shape[0], model.Config.BosId, dtype: ScalarType.Int64, device: source.device);
            return StepInternal(bos).MoveToOuterDisposeScope();
        }

        public Tensor Step(Tensor tokens)
        {
            using var scope = NewDisposeScope();
            return StepInternal(tokens).MoveToOuterDisposeScope();
        }

        Tensor StepInternal(Tensor tokens)
        {
            var column = tokens.reshape(-1, 1);
            Tensor logits;
            if (cache is not null)
            {
                logits = model.Decode(column, new CrossContext(null, crossAllowed), cache, ntkLength);
            }
            else
            {
                var next = history is null ? column.clone() : cat([history, column], 1);
                history?.Dispose();
                history = next.DetachFromDisposeScope();
                logits = model.Decode(history, new CrossContext(states, crossAllowed), null, ntkLength);
            }
            return logits.select(1, -1);                                                         // (B, V)
        }

        public void Dispose() { states?.Dispose(); crossAllowed?.Dispose(); history?.Dispose(); cache?.Dispose(); }
    }
}
