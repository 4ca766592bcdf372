using NotebookSlm.Models;
using static TorchSharp.torch;
using T = Onnx.TensorProto.Types.DataType;

namespace NotebookSlm.Export.Onnx;

/// <summary>How weights are stored in the exported graphs.</summary>
public enum OnnxWeights
{
    /// <summary>fp32, as trained: the reference for parity.</summary>
    Fp32,
    /// <summary>8-bit weight-only blocks (MatMulNBits, bits 8): a quarter of fp32's bytes per token.</summary>
    Int8,
    /// <summary>4-bit weight-only blocks (MatMulNBits, bits 4): an eighth of fp32's bytes per token.</summary>
    Int4,
}

/// <summary>
/// Emits the model's layers into an <see cref="OnnxGraph"/> from its state dict, one method per
/// concept, mirroring Models/*.cs: linear, RMSNorm, MLP, embedding and head, bidirectional
/// attention with centred RoPE (encoder), cross-attention over precomputed K/V, and causal
/// self-attention with an in-place KV cache through ONNX Runtime's GroupQueryAttention.
/// </summary>
/// <remarks>
/// GroupQueryAttention reads K/V head h / G for query head h (the Llama grouping); the released
/// model reads head h mod Hkv. Query projections and the output projection's columns are
/// permuted at export so both graphs compute the same function (<see cref="HeadOrder"/>).
/// Linear layers multiply by stored transposed weights (MatMul, prepacked by ONNX Runtime) or,
/// quantized, by MatMulNBits blocks of 32.
/// </remarks>
internal sealed class LayerEmitter(OnnxGraph g, ModelConfig c, IReadOnlyDictionary<string, Tensor> state, OnnxWeights weights)
{
    const int QuantBlock = 32;
    readonly Dictionary<string, string> cache = [];
    readonly int H = c.Heads, Hkv = c.KvHeads, Dh = c.HeadDim, G = c.GroupSize;

    Tensor W(string key) => state.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"state dict has no '{key}'");

    /// <summary>Query head order of the exported graph: new head h' is old head HeadOrder[h'].</summary>
    int[] HeadOrder => c.KvInterleaved ? Enumerable.Range(0, H).ToArray()
        : Enumerable.Range(0, H).Select(h => (h % G) * Hkv + h / G).ToArray();

    /// <summary>Rows (dim 0) or columns (dim 1) of a weight reordered by head.</summary>
    Tensor ByHead(Tensor t, int dim)
    {
        var index = tensor(HeadOrder.SelectMany(h => Enumerable.Range(h * Dh, Dh)).Select(i => (long)i).ToArray());
        return t.index_select(dim, index);
    }

    /// <summary>The stored tensor for a parameter, with query-head reordering applied.</summary>
    Tensor Param(string key)
    {
        var t = W(key);
        if (key.Contains("attn.q_linear", StringComparison.Ordinal)) return ByHead(t, 0);
        if (key.EndsWith("attn.out_linear.weight", StringComparison.Ordinal)) return ByHead(t, 1);
        return t;
    }

    string Const(string key, Func<Tensor> make) =>
        cache.TryGetValue(key, out var name) ? name : cache[key] = g.Initializer(key, make());

    public string Shape(params long[] dims) => g.Int64s("shape", dims);

    /// <summary>x (…, in) times the layer's weight (out, in) plus bias.</summary>
    public string Linear(string x, string prefix)
    {
        var wKey = prefix + ".weight";
        var bKey = prefix + ".bias";
        bool bias = state.ContainsKey(bKey);
        if (weights == OnnxWeights.Fp32)
        {
            var y = g.Op("MatMul", x, Const(wKey + ".T", () => Param(wKey).t().contiguous()));
            return bias ? g.Op("Add", y, Const(bKey, () => Param(bKey))) : y;
        }
        return QuantizedMatMul(x, wKey, bias ? Const(bKey, () => Param(bKey)) : null);
    }

    /// <summary>MatMulNBits: symmetric blocks of 32 along K, zero point at the middle of the range.</summary>
    string QuantizedMatMul(string x, string wKey, string? bias)
    {
        int bits = weights == OnnxWeights.Int4 ? 4 : 8;
        var w = Param(wKey);                                   // (N, K)
        long n = w.shape[0], k = w.shape[1];
        if (k % QuantBlock != 0) throw new ArgumentException($"{wKey}: K = {k} is not a multiple of {QuantBlock}");
        var (packed, scales) = WeightQuantization.Blocks(w, bits, QuantBlock);
        var inputs = new List<string> { x, Const(wKey + $".q{bits}", () => packed), Const(wKey + $".q{bits}.scales", () => scales) };
        if (bias is not null) { inputs.Add(""); inputs.Add(""); inputs.Add(bias); }
        return g.Node("MatMulNBits", inputs, domain: OnnxGraph.MsDomain,
            attrs: new Dictionary<string, object> { ["K"] = k, ["N"] = n, ["bits"] = bits, ["block_size"] = QuantBlock, ["accuracy_level"] = 4 })[0];
    }

    /// <summary>Pre-norm RMSNorm with fp32 statistics (ONNX Runtime's SimplifiedLayerNormalization).</summary>
    public string RmsNorm(string x, string key) =>
        g.Node("SimplifiedLayerNormalization", [x, Const(key, () => W(key))],
            attrs: new Dictionary<string, object> { ["axis"] = -1L, ["epsilon"] = (float)c.NormEps, ["stash_type"] = 1L })[0];

    public string Mlp(string x, string prefix)
    {
        if (c.Mlp == MlpKind.SwiGlu)
        {
            var gate = Linear(x, prefix + ".gate");
            var silu = g.Op("Mul", gate, g.Op("Sigmoid", gate));
            return Linear(g.Op("Mul", silu, Linear(x, prefix + ".fc1")), prefix + ".fc2");
        }
        // FastGelu is GELU's tanh approximation, the released MuGELU.
        var hidden = g.Node("FastGelu", [Linear(x, prefix + ".fc1")], domain: OnnxGraph.MsDomain)[0];
        return Linear(hidden, prefix + ".fc2");
    }

    public string Embed(string ids) => g.Op("Gather", Const("transformer.wte.weight", () => W("transformer.wte.weight")), ids);

    /// <summary>Logits from final hidden states; the head is tied to the embedding unless lm_head exists.</summary>
    public string Head(string hidden)
    {
        var key = state.ContainsKey("lm_head.weight") ? "lm_head.weight" : "transformer.wte.weight";
        if (weights != OnnxWeights.Fp32) return QuantizedMatMul(hidden, key, null);
        return g.Op("MatMul", hidden, Const(key + ".T", () => W(key).t().contiguous()));
    }

    /// <summary>(B, S, n*Dh) to (B, n, S, Dh).</summary>
    public string SplitHeads(string x, int n) =>
        g.Op("Transpose", new Dictionary<string, object> { ["perm"] = new long[] { 0, 2, 1, 3 } }, g.Op("Reshape", x, Shape(0, 0, n, Dh)));

    /// <summary>(B, H, S, Dh) to (B, S, H*Dh).</summary>
    string MergeHeads(string x) =>
        g.Op("Reshape", g.Op("Transpose", new Dictionary<string, object> { ["perm"] = new long[] { 0, 2, 1, 3 } }, x), Shape(0, 0, H * Dh));

    /// <summary>Keys and values (B, Hkv, S, Dh) of an attention layer for a source sequence.</summary>
    public (string K, string V) KeysValues(string x, string attnPrefix) =>
        (SplitHeads(Linear(x, attnPrefix + ".k_linear"), Hkv), SplitHeads(Linear(x, attnPrefix + ".v_linear"), Hkv));

    /// <summary>x * cos + rotate_half(x) * sin, with cos/sin (S, Dh) broadcast over (B, n, S, Dh).</summary>
    public string Rope(string x, string cos, string sin)
    {
        var halves = g.Node("Split", [x, g.Int64s("split", Dh / 2, Dh / 2)], outputCount: 2, attrs: new Dictionary<string, object> { ["axis"] = -1L });
        var rotated = g.Node("Concat", [g.Op("Neg", halves[1]), halves[0]], attrs: new Dictionary<string, object> { ["axis"] = -1L })[0];
        return g.Op("Add", g.Op("Mul", x, cos), g.Op("Mul", rotated, sin));
    }

    /// <summary>
    /// Attention of queries q (B, H, T, Dh) over k, v (B, Hkv, S, Dh) with an additive mask
    /// (B, 1, 1, S). The G queries sharing a K/V head are folded into the sequence axis,
    /// (B, Hkv, G*T, Dh), so K/V are never copied per query head.
    /// </summary>
    public string Attend(string q, string k, string v, string? maskAdd, string outPrefix)
    {
        var folded = g.Op("Reshape", q, Shape(0, Hkv, -1, Dh));                                    // (B, Hkv, G*T, Dh)
        var scores = g.Op("MatMul", folded, g.Op("Transpose", new Dictionary<string, object> { ["perm"] = new long[] { 0, 1, 3, 2 } }, k));
        scores = g.Op("Mul", scores, g.ScalarFloat("scale", (float)(1.0 / Math.Sqrt(Dh))));
        if (maskAdd is not null) scores = g.Op("Add", scores, maskAdd);
        var probs = g.Op("Softmax", new Dictionary<string, object> { ["axis"] = -1L }, scores);
        var context = g.Op("Reshape", g.Op("MatMul", probs, v), Shape(0, H, -1, Dh));               // (B, H, T, Dh)
        return Linear(MergeHeads(context), outPrefix);
    }

    /// <summary>(B, S) int64 validity to an additive mask (B, 1, 1, S): 0 where valid, -1e9 where padded.</summary>
    public string AdditiveMask(string mask)
    {
        var f = g.Op("Cast", new Dictionary<string, object> { ["to"] = (long)T.Float }, mask);
        var add = g.Op("Mul", g.Op("Sub", f, g.ScalarFloat("one", 1f)), g.ScalarFloat("big", 1e9f));
        return g.Op("Unsqueeze", add, g.Int64s("axes", 1, 2));
    }

    /// <summary>Bidirectional self-attention of the encoder with RoPE tables cos, sin (S, Dh).</summary>
    public string EncoderSelfAttention(string x, string prefix, string cos, string sin, string maskAdd)
    {
        var q = Rope(SplitHeads(Linear(x, prefix + ".q_linear"), H), cos, sin);
        var (k, v) = KeysValues(x, prefix);
        return Attend(q, Rope(k, cos, sin), v, maskAdd, prefix + ".out_linear");
    }

    /// <summary>Cross-attention from decoder states to precomputed encoder K/V (no RoPE).</summary>
    public string CrossAttention(string x, string prefix, string k, string v, string maskAdd) =>
        Attend(SplitHeads(Linear(x, prefix + ".q_linear"), H), k, v, maskAdd, prefix + ".out_linear");

    /// <summary>
    /// Causal self-attention through GroupQueryAttention: RoPE from the cos/sin caches at the
    /// positions seqlens_k implies, new K/V written into the cache buffers, which the runtime
    /// binds as both past and present (updated in place, never reallocated).
    /// </summary>
    public (string Output, string PresentKey, string PresentValue) CausalSelfAttention(string x, string prefix,
        string pastKey, string pastValue, string seqlensK, string totalLength, string cosCache, string sinCache)
    {
        var outs = g.Node("GroupQueryAttention",
            [Linear(x, prefix + ".q_linear"), Linear(x, prefix + ".k_linear"), Linear(x, prefix + ".v_linear"),
             pastKey, pastValue, seqlensK, totalLength, cosCache, sinCache],
            outputCount: 3, domain: OnnxGraph.MsDomain,
            attrs: new Dictionary<string, object> { ["num_heads"] = (long)H, ["kv_num_heads"] = (long)Hkv, ["do_rotary"] = 1L, ["rotary_interleaved"] = 0L });
        return (Linear(outs[0], prefix + ".out_linear"), outs[1], outs[2]);
    }

    /// <summary>cos and sin caches (positions 0..maxLength-1, Dh/2) for GroupQueryAttention.</summary>
    public (string Cos, string Sin) RopeCaches(int maxLength)
    {
        var @base = Models.Rope.NtkBase(c.RopeTheta, c.RopeFactor, Dh, maxLength, c.BlockSize);
        var (cos, sin) = Models.Rope.Angles(arange(maxLength, dtype: ScalarType.Float32), Dh, @base, ScalarType.Float32);
        return (Const("rope.cos_cache", () => cos.narrow(-1, 0, Dh / 2)), Const("rope.sin_cache", () => sin.narrow(-1, 0, Dh / 2)));
    }

    /// <summary>Encoder RoPE tables (S, Dh) for the released centred positions i - (S-1)/2,
    /// computed in the graph from the sequence length.</summary>
    public (string Cos, string Sin) CenteredRopeTables(string inputIds)
    {
        var invFreq = Const("rope.inv_freq", () =>
            (1.0 / pow(c.RopeTheta, arange(0, Dh, 2, dtype: ScalarType.Float64) / Dh)).to(ScalarType.Float32).unsqueeze(0));
        var len = g.Op("Gather", g.Op("Shape", inputIds), g.ScalarInt64("dim", 1));                       // S
        var positions = g.Op("Range", g.ScalarInt64("zero", 0), len, g.ScalarInt64("step", 1));
        var centre = g.Op("Div", g.Op("Sub", len, g.ScalarInt64("one", 1)), g.ScalarInt64("two", 2));  // (S-1)/2, integer
        var centred = g.Op("Cast", new Dictionary<string, object> { ["to"] = (long)T.Float }, g.Op("Sub", positions, centre));
        var freqs = g.Op("MatMul", g.Op("Unsqueeze", centred, g.Int64s("axes", 1)), invFreq);              // (S, Dh/2)
        var emb = g.Node("Concat", [freqs, freqs], attrs: new Dictionary<string, object> { ["axis"] = -1L })[0];
        return (g.Op("Cos", emb), g.Op("Sin", emb));
    }
}
