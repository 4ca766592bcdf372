using NotebookSlm.Generation;
using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookSlm.Models;
using static TorchSharp.torch;
using T = Onnx.TensorProto.Types.DataType;

namespace NotebookSlm.Export.Onnx;

/// <summary>Settings of a static-shape export: the fixed lengths and the quantization.</summary>
public sealed record StaticExportOptions
{
    /// <summary>Prompt length every input is right-padded to (the encoder's, or the decoder-only prefill's).</summary>
    public int PromptLength { get; init; } = 512;
    /// <summary>Tokens generated at most: sets the self-attention cache length.</summary>
    public int MaxNewTokens { get; init; } = 128;
    public QdqMode Quantization { get; init; } = QdqMode.None;
    /// <summary>Calibrated activation ranges by quantization point; needed when quantizing.</summary>
    public IReadOnlyDictionary<string, ActivationRange>? Ranges { get; init; }
    /// <summary>Emit every quantization point as an extra output instead of quantizing (calibration graphs).</summary>
    public bool Calibration { get; init; }

    /// <summary>Slots of the decoder's self-attention cache: generated tokens for an encoder-decoder,
    /// prompt plus generated tokens for a decoder-only model.</summary>
    /// <summary>A copy with the quantization set, for F#: <c>o.With(QdqMode.A16W8, ranges)</c>.</summary>
    public StaticExportOptions With(QdqMode mode, IReadOnlyDictionary<string, ActivationRange>? ranges) =>
        this with { Quantization = mode, Ranges = ranges };

    public int CacheLength(ModelConfig c) => c.IsEncoderDecoder ? MaxNewTokens : PromptLength + MaxNewTokens;
}

/// <summary>
/// The NPU-ready export (paper 3.4's Hexagon row; issue 4 point 6): every axis fixed, batch 1,
/// standard ONNX operators only, and optionally QDQ quantization, the form ONNX Runtime's QNN
/// execution provider compiles for Qualcomm NPUs. NPUs compile a graph per shape, so there is no
/// dynamic sequence axis and no in-place cache: each step reads the whole fixed cache plus a
/// validity mask and returns only the new keys and values, which the host writes into its slot.
/// <list type="bullet">
/// <item>encoder-decoder: <c>encoder_model.onnx</c> (ids and mask of PromptLength, to cross K/V)
/// and <c>decoder_model.onnx</c> (one token, its position, the cache mask of CacheLength + 1);</item>
/// <item>decoder-only: <c>prefill_model.onnx</c> (PromptLength tokens, logits of the last real one)
/// and <c>decode_model.onnx</c> (one token against CacheLength cached slots).</item>
/// </list>
/// RoPE depends only on position offsets, so right padding and the shifted centre of a padded
/// encoder input leave the real tokens' outputs unchanged.
/// </summary>
public static class StaticExport
{
    public const string Prefill = "prefill_model.onnx", Decode = "decode_model.onnx";

    public static OnnxExportResult Save(ILanguageModel model, string dir, StaticExportOptions o)
    {
        var c = model.Config;
        if (o.PromptLength <= 0 || o.MaxNewTokens <= 0) throw new ArgumentException($"PromptLength and MaxNewTokens must be positive (got {o.PromptLength}, {o.MaxNewTokens})");
        if (o.Quantization != QdqMode.None && !o.Calibration && o.Ranges is null)
            throw new ArgumentException($"a {o.Quantization} export needs calibrated Ranges (StaticCalibration.Calibrate)");
        Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = model.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32));
        var bytes = new Dictionary<string, long>();
        var graphs = new JsonObject();
        var points = new JsonArray();
        void Write(string file, Func<OnnxGraph, LayerEmitter, OnnxGraph> build)
        {
            var g = new OnnxGraph(Path.GetFileNameWithoutExtension(file));
            var plan = o.Quantization == QdqMode.None && !o.Calibration ? null
                : new QdqPlan(o.Quantization == QdqMode.None ? QdqMode.A16W8 : o.Quantization, o.Ranges, o.Calibration);
            build(g, new LayerEmitter(g, c, state, OnnxWeights.Fp32, plan, standardOps: true)).Save(Path.Combine(dir, file), "NotebookSlm");
            bytes[file] = g.InitializerBytes;
            graphs[file] = OnnxExport.Describe(g);
            foreach (var p in plan?.Points ?? []) points.Add(p);
        }
        if (c.IsEncoderDecoder)
        {
            Write(OnnxExport.Encoder, (g, e) => OnnxExport.EncoderGraph(c, g, e, 1, o.PromptLength));
            Write(OnnxExport.Decoder, (g, e) => DecoderGraph(c, g, e, 1, o.CacheLength(c), o.PromptLength));
        }
        else
        {
            Write(Prefill, (g, e) => DecoderGraph(c, g, e, o.PromptLength, 0, 0));
            Write(Decode, (g, e) => DecoderGraph(c, g, e, 1, o.CacheLength(c), 0));
        }
        var description = new JsonObject
        {
            ["producer"] = "NotebookSlm",
            ["architecture"] = c.IsEncoderDecoder ? "encoder-decoder" : "decoder-only",
            ["static"] = true,
            ["prompt_length"] = o.PromptLength,
            ["max_new_tokens"] = o.MaxNewTokens,
            ["cache_length"] = o.CacheLength(c),
            ["quantization"] = o.Calibration ? "calibration" : o.Quantization.ToString().ToLowerInvariant(),
            ["quantization_points"] = o.Quantization == QdqMode.None && !o.Calibration ? new JsonArray() : points,
            ["config"] = JsonNode.Parse(c.ToJson()),
            ["cache"] = "host-managed: past (1, kv_heads, cache_length, head_dim) and attention_mask (1, cache_length + tokens) in, "
                      + "present (1, kv_heads, tokens, head_dim) out; the host writes present into the next free slots",
            ["graphs"] = graphs,
        };
        if (o.Ranges is not null && !o.Calibration)
            description["ranges"] = JsonSerializer.SerializeToNode(o.Ranges.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary());
        Runtime.AtomicFile.WriteText(Path.Combine(dir, OnnxExport.Description), description.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return new OnnxExportResult(dir, bytes, OnnxWeights.Fp32);
    }

    /// <summary>
    /// Activation ranges for a QDQ export, observed on real prompts: writes the calibration graphs
    /// (fp32, every quantization point an extra output) under <paramref name="workDir"/> and runs
    /// greedy generation of <paramref name="newTokens"/> tokens for each prompt through them.
    /// </summary>
    public static IReadOnlyDictionary<string, ActivationRange> Calibrate(ILanguageModel model, StaticExportOptions o,
        IReadOnlyList<int[]> prompts, int newTokens, string workDir, int threads = 0)
    {
        if (prompts.Count == 0) throw new ArgumentException("calibration needs at least one prompt");
        var dir = Path.Combine(workDir, "calibration");
        Save(model, dir, o with { Calibration = true, Quantization = QdqMode.None, Ranges = null });
        using var m = new StaticOnnxModel(dir, new OnnxRuntimeOptions { Threads = threads > 0 ? threads : Environment.ProcessorCount });
        foreach (var p in prompts) m.Generate([p], GenerationOptions.Exactly(Math.Min(newTokens, o.MaxNewTokens)));
        return m.Ranges.ToDictionary();
    }

    /// <summary>
    /// A causal stack over <paramref name="t"/> new tokens and <paramref name="cache"/> cached
    /// slots, with cross-attention when <paramref name="encoderLength"/> is positive. Inputs:
    /// input_ids and position_ids (1, T), attention_mask (1, cache + T), past K/V; outputs: logits
    /// (1, 1, V) of the token at last_token_index (prefill) or of the one token, and present K/V
    /// (1, Hkv, T, Dh) of the new tokens.
    /// </summary>
    static OnnxGraph DecoderGraph(ModelConfig c, OnnxGraph g, LayerEmitter e, int t, int cache, int encoderLength)
    {
        bool cross = encoderLength > 0;
        var ids = g.Input("input_ids", T.Int64, 1, t);
        var positions = g.Input("position_ids", T.Int64, 1, t);
        var mask = g.Input("attention_mask", T.Int64, 1, cache + t);
        var encMask = cross ? g.Input("encoder_attention_mask", T.Int64, 1, encoderLength) : null;
        string Kind(string kind, int i) => cross ? $"{i}.decoder.{kind}" : $"{i}.{kind}";
        var past = cache == 0 ? null : Enumerable.Range(0, c.DecoderLayers).Select(i =>
            (K: g.Input($"past_key_values.{Kind("key", i)}", T.Float, 1, c.KvHeads, cache, c.HeadDim),
             V: g.Input($"past_key_values.{Kind("value", i)}", T.Float, 1, c.KvHeads, cache, c.HeadDim))).ToList();
        var encoder = !cross ? null : Enumerable.Range(0, c.DecoderLayers).Select(i =>
            (K: g.Input($"past_key_values.{i}.encoder.key", T.Float, 1, c.KvHeads, encoderLength, c.HeadDim),
             V: g.Input($"past_key_values.{i}.encoder.value", T.Float, 1, c.KvHeads, encoderLength, c.HeadDim))).ToList();
        var last = t > 1 ? g.Input("last_token_index", T.Int64, 1) : null;
        e.SetTokens(ids);

        // RoPE rows gathered at the given positions: (1, 1, T, Dh), broadcast over heads.
        int table = cache + t;                                   // positions never reach past the last slot
        var (cosTable, sinTable) = Models.Rope.Angles(arange(table, dtype: ScalarType.Float32), c.HeadDim,
            Models.Rope.NtkBase(c.RopeTheta, c.RopeFactor, c.HeadDim, cache + t, c.BlockSize), ScalarType.Float32);
        var cos = g.Op("Unsqueeze", g.Op("Gather", g.Initializer("rope.cos", cosTable), positions), g.Int64s("axes", 1));
        var sin = g.Op("Unsqueeze", g.Op("Gather", g.Initializer("rope.sin", sinTable), positions), g.Int64s("axes", 1));

        // Additive mask (1, 1, G*T, cache + T): invalid slots, and new token j sees new tokens <= j.
        // The G query heads sharing a K/V head are folded into rows (LayerEmitter.Attend).
        var causal = zeros(c.GroupSize * t, cache + t);
        for (int j = 0; j < t; j++)
            for (int gi = 0; gi < c.GroupSize; gi++)
                causal[gi * t + j].narrow(0, cache + j + 1, t - j - 1).fill_(-1e9f);
        var maskAdd = g.Op("Add", e.AdditiveMask(mask), g.Initializer("causal_mask", causal));
        var encAdd = encMask is null ? null : e.AdditiveMask(encMask);

        var x = e.Embed(ids);                                                                       // (T, D)
        for (int i = 0; i < c.DecoderLayers; i++)
        {
            var p = $"transformer.h.{i}";
            var self = p + (cross ? ".causal_attn" : ".attn");
            var h = e.RmsNorm(x, p + ".ln1.weight");
            var q = e.Rope(e.SplitHeads(e.Linear(h, self + ".q_linear"), c.Heads), cos, sin);     // (1, H, T, Dh)
            var (k, v) = e.KeysValues(h, self);
            k = e.Rope(k, cos, sin);                                                                // (1, Hkv, T, Dh)
            var axis2 = new Dictionary<string, object> { ["axis"] = 2L };
            var keys = past is null ? k : g.Node("Concat", [past[i].K, k], attrs: axis2)[0];        // (1, Hkv, cache + T, Dh)
            var values = past is null ? v : g.Node("Concat", [past[i].V, v], attrs: axis2)[0];
            x = g.Op("Add", x, e.Attend(q, keys, values, maskAdd, self + ".out_linear"));
            g.Output(k, $"present.{Kind("key", i)}", T.Float, 1, c.KvHeads, t, c.HeadDim);
            g.Output(v, $"present.{Kind("value", i)}", T.Float, 1, c.KvHeads, t, c.HeadDim);
            if (cross)
                x = g.Op("Add", x, e.CrossAttention(e.RmsNorm(x, p + ".ln2.weight"), p + ".cross_attn", encoder![i].K, encoder[i].V, encAdd!));
            x = g.Op("Add", x, e.Mlp(e.RmsNorm(x, p + (cross ? ".ln3.weight" : ".ln2.weight")), p + ".mlp"));
        }
        var picked = last is null ? x : g.Op("Gather", x, last);                                   // (1, D)
        var logits = e.Head(e.RmsNorm(picked, "transformer.ln_f.weight"));
        g.Output(g.Op("Unsqueeze", logits, g.Int64s("axes", 0)), "logits", T.Float, 1, 1, c.VocabSize);
        return g;
    }
}
