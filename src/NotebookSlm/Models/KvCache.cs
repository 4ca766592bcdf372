using static TorchSharp.torch;

namespace NotebookSlm.Models;

/// <summary>
/// Decoder key/value cache: per layer, self-attention K/V buffers allocated once at their
/// final length (B, Hkv, max, Dh) and written in place, so no step reallocates or copies
/// the past; plus, for encoder-decoders, cross-attention K/V computed once per input.
/// </summary>
public sealed class KvCache : IDisposable
{
    public sealed class Layer : IDisposable
    {
        readonly KvCache owner;
        readonly Tensor k, v;
        public Tensor? CrossK { get; private set; }
        public Tensor? CrossV { get; private set; }

        internal Layer(KvCache owner, long batch, long kvHeads, long capacity, long headDim, ScalarType dtype, Device? device)
        {
            this.owner = owner;
            // Detached: the cache outlives the dispose scope of the step that creates it.
            k = zeros(batch, kvHeads, capacity, headDim, dtype: dtype, device: device).DetachFromDisposeScope();
            v = zeros(batch, kvHeads, capacity, headDim, dtype: dtype, device: device).DetachFromDisposeScope();
        }

        /// <summary>Writes k, v (B, Hkv, T, Dh) at the cache's current length and returns views
        /// of everything cached so far, (B, Hkv, length + T, Dh).</summary>
        public (Tensor K, Tensor V) Append(Tensor newK, Tensor newV)
        {
            long start = owner.Length, t = newK.shape[2];
            if (start + t > owner.Capacity)
                throw new InvalidOperationException($"KV cache full: {start} + {t} > capacity {owner.Capacity}");
            using (no_grad())
            {
                k.narrow(2, start, t).copy_(newK);
                v.narrow(2, start, t).copy_(newV);
            }
            return (k.narrow(2, 0, start + t), v.narrow(2, 0, start + t));
        }

        public void SetCross(Tensor crossK, Tensor crossV)
        {
            CrossK?.Dispose(); CrossV?.Dispose();
            CrossK = crossK.DetachFromDisposeScope();
            CrossV = crossV.DetachFromDisposeScope();
        }

        public long Bytes => SizeOf(k) + SizeOf(v) + (CrossK is null ? 0 : SizeOf(CrossK)) + (CrossV is null ? 0 : SizeOf(CrossV));
        static long SizeOf(Tensor t) => t.NumberOfElements * t.ElementSize;

        public void Dispose() { k.Dispose(); v.Dispose(); CrossK?.Dispose(); CrossV?.Dispose(); }
    }

    public Layer[] Layers { get; }
    /// <summary>Tokens already cached (the position of the next token).</summary>
    public long Length { get; private set; }
    public long Capacity { get; }

    /// <summary>Buffers in the model's dtype and on its device.</summary>
    public KvCache(ModelConfig c, long batch, long capacity, ScalarType dtype, Device? device = null)
    {
        Capacity = capacity;
        Layers = Enumerable.Range(0, c.DecoderLayers)
            .Select(_ => new Layer(this, batch, c.KvHeads, capacity, c.HeadDim, dtype, device)).ToArray();
    }

    /// <summary>Called by the model once every layer has appended a step of <paramref name="t"/> tokens.</summary>
    public void Advance(long t) => Length += t;

    /// <summary>Bytes held by the cache (self K/V at capacity plus cross K/V).</summary>
    public long Bytes => Layers.Sum(l => l.Bytes);

    public void Dispose() { foreach (var l in Layers) l.Dispose(); }
}
