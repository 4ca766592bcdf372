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
/// Hidden states stay 2-D, (tokens, features), between layers, so that every linear layer is one
/// Gemm against the stored (out, in) weight with transB: for a single decoded token that is a
/// matrix-vector product over contiguous rows, measured here at 18.8 GB/s against 14.3 GB/s for
/// MatMul with transposed weights (one thread, 768 x 3776). Queries, keys and values of causal
/// self-attention are one fused Gemm feeding GroupQueryAttention's packed input.
/// GroupQueryAttention reads K/V head h / G for query head h (the Llama grouping); the released
/// model reads head h mod Hkv, so query rows and the output projection's columns are permuted
/// at export (<see cref="HeadOrder"/>).
/// With <paramref name="standardOps"/> (static NPU exports) only standard ONNX operators are
/// emitted: RMSNorm as its arithmetic and GELU as the opset-20 <c>Gelu</c>, since the QNN
/// execution provider compiles no com.microsoft operator. With a <paramref name="qdq"/> plan
/// every matrix product's activation inputs pass through its quantization points.
/// </remarks>
internal sealed class LayerEmitter(OnnxGraph g, ModelConfig c, IReadOnlyDictionary<string, Tensor> state, OnnxWeights weights,
    QdqPlan? qdq = null, bool standardOps = false)
{
    const int QuantBlock = 32;
    static readonly Dictionary<string, object> TransB = new() { ["transB"] = 1L };
    readonly Dictionary<string, string> cache = [];
    readonly int H = c.Heads, Hkv = c.KvHeads, Dh = c.HeadDim, G = c.GroupSize;

    Tensor W(string key) => state.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"state dict has no '{key}'");

    /// <summary>Query head order of the exported graph: new head h' is old head HeadOrder[h'].</summary>
    int[] HeadOrder => c.KvInterleaved ? Enumerable.Range(0, H).ToArray()
        : Enumerable.Range(0, H).Select(h => (h % G) * Hkv + h / G).ToArray();

    /// <summary>Rows (dim 0) or columns (dim 1) of a weight reordered by head.</summary>
    Tensor ByHead(Tensor t, int dim) =>
        t.index_select(dim, tensor(HeadOrder.SelectMany(h => Enumerable.Range(h * Dh, Dh)).Select(i => (long)i).ToArray()));

    /// <summary>The stored tensor for a parameter, with query-head reordering applied.</summary>
    Tensor Param(string key)
    {
        var t = W(key);
        if (key.Contains("attn.q_linear", StringComparison.Ordinal)) return ByHead(t, 0);
        if (key.EndsWith("attn.out_linear.weight", StringComparison.Ordinal)) return ByHead(t, 1);
        return t;
    }

    /// <summary>A graph value made once per key: initializers by parameter name, derived tensors (mask forms, RoPE rows) by stem and source.</summary>
    string Derived(string key, Func<string> make) => cache.TryGetValue(key, out var name) ? name : cache[key] = make();

    string Const(string key, Func<Tensor> make) => Derived(key, () => g.Initializer(key, make()));

    public string Shape(params long[] dims) => g.Int64s("shape", dims);

    // ---- shapes of the token axis: hidden states are (B*T, D); attention needs (B, T, n, Dh) ----

    string? batchAndLength;

    /// <summary>Records (B, T) of the token ids every layer of this graph reshapes to.</summary>
    public void SetTokens(string ids) =>
        batchAndLength = g.Op("Slice", g.Op("Shape", ids), g.Int64s("start", 0), g.Int64s("end", 2));

    /// <summary>(B*T, ...) to (B, T, tail...).</summary>
    public string Unflatten(string x, params long[] tail) =>
        g.Op("Reshape", x, g.Node("Concat", [batchAndLength ?? throw new InvalidOperationException("SetTokens first"), g.Int64s("tail", tail)],
            attrs: new Dictionary<string, object> { ["axis"] = 0L })[0]);

    public string Flatten(string x, long width) => g.Op("Reshape", x, Shape(-1, width));

    // ---- linear layers ----

    /// <summary>x (tokens, in) times the layer's weight (out, in) plus bias.</summary>
    public string Linear(string x, string prefix) => LinearOf(x, prefix + ".weight", () => Param(prefix + ".weight"),
        state.ContainsKey(prefix + ".bias") ? (prefix + ".bias", () => Param(prefix + ".bias")) : null);

    /// <summary>An activation at a quantization point: unchanged without a QDQ plan.</summary>
    string Act(string x, string point) => qdq is null ? x : qdq.Activation(g, x, point);

    string LinearOf(string x, string wKey, Func<Tensor> weight, (string Key, Func<Tensor> Make)? bias)
    {
        if (qdq is { Calibrating: false })
            return qdq.Linear(g, Act(x, wKey.Replace(".weight", ".input")), wKey, weight(), bias is { } qb ? Const(qb.Key, qb.Make) : null);
        x = Act(x, wKey.Replace(".weight", ".input"));
        if (weights == OnnxWeights.Fp32)
        {
            var inputs = new List<string> { x, Const(wKey, weight) };
            if (bias is { } b) inputs.Add(Const(b.Key, b.Make));
            return g.Node("Gemm", inputs, attrs: TransB)[0];
        }
        int bits = weights == OnnxWeights.Int4 ? 4 : 8;
        var w = weight();                                      // (N, K)
        long n = w.shape[0], k = w.shape[1];
        if (k % QuantBlock != 0) throw new ArgumentException($"{wKey}: K = {k} is not a multiple of {QuantBlock}");
        var (packed, scales) = WeightQuantization.Blocks(w, bits, QuantBlock);
        var q = new List<string> { x, Const(wKey + $".q{bits}", () => packed), Const(wKey + $".q{bits}.scales", () => scales) };
        if (bias is { } bb) { q.Add(""); q.Add(""); q.Add(Const(bb.Key, bb.Make)); }
        // accuracy_level 4 runs the int8 kernels: measured 2.5x faster than fp32 compute here.
        return g.Node("MatMulNBits", q, domain: OnnxGraph.MsDomain,
            attrs: new Dictionary<string, object> { ["K"] = k, ["N"] = n, ["bits"] = bits, ["block_size"] = QuantBlock, ["accuracy_level"] = 4L })[0];
    }

    /// <summary>Pre-norm RMSNorm with fp32 statistics (ONNX Runtime's SimplifiedLayerNormalization).</summary>
    public string RmsNorm(string x, string key) => standardOps
        ? g.Op("Mul", g.Op("Mul", x, g.Op("Reciprocal", g.Op("Sqrt", g.Op("Add",
              g.Node("ReduceMean", [g.Op("Mul", x, x), g.Int64s("axes", -1)], attrs: new Dictionary<string, object> { ["keepdims"] = 1L })[0],
              g.ScalarFloat("eps", (float)c.NormEps))))), Const(key, () => W(key)))
        : g.Node("SimplifiedLayerNormalization", [x, Const(key, () => W(key))],
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
        var hidden = standardOps
            ? g.Node("Gelu", [Linear(x, prefix + ".fc1")], attrs: new Dictionary<string, object> { ["approximate"] = "tanh" })[0]
            : g.Node("FastGelu", [Linear(x, prefix + ".fc1")], domain: OnnxGraph.MsDomain)[0];
        return Linear(hidden, prefix + ".fc2");
    }

    /// <summary>Token embeddings, (B*T, D).</summary>
    public string Embed(string ids) =>
        g.Op("Gather", Const("transformer.wte.weight", () => W("transformer.wte.weight")), g.Op("Reshape", ids, Shape(-1)));

    /// <summary>Logits (tokens, V); the head is tied to the embedding unless lm_head exists.</summary>
    public string Head(string hidden)
    {
        var key = state.ContainsKey("lm_head.weight") ? "lm_head.weight" : "transformer.wte.weight";
        return LinearOf(hidden, key, () => W(key), null);
    }

    // ---- attention ----

    /// <summary>(B*T, n*Dh) to (B, n, T, Dh).</summary>
    public string SplitHeads(string x, int n) =>
        g.Op("Transpose", new Dictionary<string, object> { ["perm"] = new long[] { 0, 2, 1, 3 } }, Unflatten(x, n, Dh));

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
    /// (B, 1, 1, S), returning (B*T, D) after the output projection. The G queries sharing a
    /// K/V head are folded into the sequence axis, (B, Hkv, G*T, Dh), so K/V are never copied.
    /// </summary>
    public string Attend(string q, string k, string v, string? maskAdd, string outPrefix)
    {
        var at = outPrefix.Replace(".out_linear", "");
        var folded = Act(g.Op("Reshape", q, Shape(0, Hkv, -1, Dh)), at + ".scores.query");        // (B, Hkv, G*T, Dh)
        var scores = g.Op("MatMul", folded, g.Op("Transpose", new Dictionary<string, object> { ["perm"] = new long[] { 0, 1, 3, 2 } }, Act(k, at + ".scores.key")));
        scores = g.Op("Mul", scores, g.ScalarFloat("scale", (float)(1.0 / Math.Sqrt(Dh))));
        if (maskAdd is not null) scores = g.Op("Add", scores, maskAdd);
        var probs = g.Op("Softmax", new Dictionary<string, object> { ["axis"] = -1L }, scores);
        var context = g.Op("Reshape", g.Op("MatMul", Act(probs, at + ".context.probs"), Act(v, at + ".context.value")), Shape(0, H, -1, Dh)); // (B, H, T, Dh)
        var merged = g.Op("Transpose", new Dictionary<string, object> { ["perm"] = new long[] { 0, 2, 1, 3 } }, context);
        return Linear(Flatten(merged, H * Dh), outPrefix);                                          // (B*T, D)
    }

    /// <summary>(B, S) int64 validity to an additive mask (B, 1, 1, S): 0 where valid, -1e9 where padded.</summary>
    public string AdditiveMask(string mask)
    {
        var f = g.Op("Cast", new Dictionary<string, object> { ["to"] = (long)T.Float }, mask);
        var add = g.Op("Mul", g.Op("Sub", f, g.ScalarFloat("one", 1f)), g.ScalarFloat("big", 1e9f));
        return g.Op("Unsqueeze", add, g.Int64s("axes", 1, 2));
    }

    /// <summary>
    /// Bidirectional self-attention of the encoder, over the (B, S) int64 validity
    /// <paramref name="mask"/>, with RoPE tables cos, sin (S, Dh).
    /// </summary>
    /// <remarks>
    /// Dynamic exports run it through ONNX Runtime's MultiHeadAttention, whose CPU kernel takes a
    /// flash-attention path (tiles sized to L2, never the (B, H, S, S) scores) when no mask is
    /// given. An <c>If</c> picks that branch when every position is valid, and the masked
    /// kernel otherwise, so padded batches stay exact. The unfused MatMul/Softmax form kept
    /// three score-sized tensors live: at input 4096, batch 8 it peaked at 9136 MiB against the
    /// decoder-only's 6222 MiB. Static exports keep the standard-operator form (QNN compiles no
    /// com.microsoft operator).
    /// </remarks>
    public string EncoderSelfAttention(string x, string prefix, string cos, string sin, string mask)
    {
        if (standardOps || qdq is not null)
        {
            var qs = Rope(SplitHeads(Linear(x, prefix + ".q_linear"), H), cos, sin);
            var (ks, vs) = KeysValues(x, prefix);
            return Attend(qs, Rope(ks, cos, sin), vs, Derived("mask.additive." + mask, () => AdditiveMask(mask)), prefix + ".out_linear");
        }
        // RoPE over (B, S, n, Dh) needs its tables as (S, 1, Dh).
        var cosRows = Derived("rope.rows." + cos, () => g.Op("Unsqueeze", cos, g.Int64s("axes", 1)));
        var sinRows = Derived("rope.rows." + sin, () => g.Op("Unsqueeze", sin, g.Int64s("axes", 1)));
        string Rows(string y, int n) => g.Op("Reshape", Rope(Unflatten(y, n, Dh), cosRows, sinRows), Shape(0, 0, n * Dh)); // (B, S, n*Dh)
        var q = Rows(Linear(x, prefix + ".q_linear"), H);
        var k = Rows(Linear(x, prefix + ".k_linear"), Hkv);
        var v = Unflatten(Linear(x, prefix + ".v_linear"), Hkv * Dh);
        if (G > 1)
        {
            // MultiHeadAttention wants a K/V head per query head: query head h reads K/V head h / G
            // (HeadOrder), so each K/V head is repeated G times in place. (B, S, Hkv*Dh) -> (B, S, H*Dh)
            var repeat = Shape(1, 1, 1, G, 1);
            string Widen(string y) => g.Op("Reshape",
                g.Op("Expand", g.Op("Unsqueeze", g.Op("Reshape", y, Shape(0, 0, Hkv, Dh)), g.Int64s("axes", 3)), repeat), Shape(0, 0, H * Dh));
            (k, v) = (Widen(k), Widen(v));
        }
        var allValid = Derived("mask.all_valid." + mask, () => g.Op("Equal",
            g.Node("ReduceMin", [mask], attrs: new Dictionary<string, object> { ["keepdims"] = 0L })[0], g.ScalarInt64("one", 1)));
        var padding = Derived("mask.int32." + mask, () => g.Op("Cast", new Dictionary<string, object> { ["to"] = (long)T.Int32 }, mask));
        OnnxGraph Branch(string name, bool masked)
        {
            var b = g.Branch(name);
            var attrs = new Dictionary<string, object> { ["num_heads"] = (long)H, ["mask_filter_value"] = -1e9f };
            b.BranchOutput(b.Node("MultiHeadAttention", masked ? [q, k, v, "", padding] : [q, k, v], domain: OnnxGraph.MsDomain, attrs: attrs)[0]);
            return b;
        }
        var context = g.If(allValid, Branch(prefix + ".flash", false), Branch(prefix + ".masked", true));  // (B, S, H*Dh)
        return Linear(Flatten(context, H * Dh), prefix + ".out_linear");
    }

    /// <summary>Cross-attention from decoder states to precomputed encoder K/V (no RoPE).</summary>
    public string CrossAttention(string x, string prefix, string k, string v, string maskAdd) =>
        Attend(SplitHeads(Linear(x, prefix + ".q_linear"), H), k, v, maskAdd, prefix + ".out_linear");

    /// <summary>
    /// Causal self-attention through GroupQueryAttention: one fused Q/K/V projection (packed
    /// input), RoPE from the cos/sin caches at the positions seqlens_k implies, new K/V written
    /// into the cache buffers, which the runtime binds as both past and present (updated in
    /// place, never reallocated). Returns (B*T, D) after the output projection.
    /// </summary>
    public (string Output, string PresentKey, string PresentValue) CausalSelfAttention(string x, string prefix,
        string pastKey, string pastValue, string seqlensK, string totalLength, string cosCache, string sinCache)
    {
        string[] parts = ["q_linear", "k_linear", "v_linear"];
        var qkv = LinearOf(x, prefix + ".qkv.weight", () => cat(parts.Select(p => Param($"{prefix}.{p}.weight")).ToArray(), 0),
            state.ContainsKey(prefix + ".q_linear.bias")
                ? (prefix + ".qkv.bias", () => cat(parts.Select(p => Param($"{prefix}.{p}.bias")).ToArray(), 0)) : null);
        var outs = g.Node("GroupQueryAttention",
            [Unflatten(qkv, -1), "", "", pastKey, pastValue, seqlensK, totalLength, cosCache, sinCache],
            outputCount: 3, domain: OnnxGraph.MsDomain,
            attrs: new Dictionary<string, object> { ["num_heads"] = (long)H, ["kv_num_heads"] = (long)Hkv, ["do_rotary"] = 1L, ["rotary_interleaved"] = 0L });
        return (Linear(Flatten(outs[0], H * Dh), prefix + ".out_linear"), outs[1], outs[2]);
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
