using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookSlm.Models;
using static TorchSharp.torch;
using T = Onnx.TensorProto.Types.DataType;

namespace NotebookSlm.Export.Onnx;

/// <summary>Export settings: weight storage and the longest sequence the RoPE caches cover.</summary>
public sealed record OnnxExportOptions
{
    public OnnxWeights Weights { get; init; } = OnnxWeights.Fp32;
    /// <summary>Positions the decoder's RoPE cache covers (prompt + generated, decoder-only).</summary>
    public int MaxPositions { get; init; } = 8192;
}

/// <summary>What an export wrote: the folder, the graph files and their weight bytes.</summary>
public sealed record OnnxExportResult(string Directory, IReadOnlyDictionary<string, long> WeightBytes, OnnxWeights Weights);

/// <summary>
/// Writes a model as ONNX graphs named as Hugging Face Optimum names them, plus
/// <c>model_description.json</c>:
/// <list type="bullet">
/// <item>encoder-decoder: <c>encoder_model.onnx</c> (input_ids, attention_mask to last_hidden_state and
/// every decoder layer's cross-attention K/V, <c>present.{i}.encoder.{key,value}</c>, computed once per
/// input) and <c>decoder_model.onnx</c> (a decoder step reading <c>past_key_values.{i}.decoder.*</c> and
/// <c>past_key_values.{i}.encoder.*</c>, writing <c>present.{i}.decoder.*</c>);</item>
/// <item>decoder-only: <c>model.onnx</c> with <c>past_key_values.{i}.{key,value}</c> and <c>present.{i}.*</c>.</item>
/// </list>
/// Self-attention caches are buffers of a fixed length that the runtime binds as both past and
/// present; <c>seqlens_k</c> (tokens in the cache per row, minus one) and <c>total_sequence_length</c>
/// say how much of them is filled (ONNX Runtime's GroupQueryAttention convention). Batch and
/// sequence axes are dynamic.
/// </summary>
public static class OnnxExport
{
    public const string Encoder = "encoder_model.onnx", Decoder = "decoder_model.onnx", DecoderOnly = "model.onnx";
    public const string Description = "model_description.json";
    /// <summary>Version of the graphs this code writes, bumped whenever they change, so that a
    /// cached export of an older form is rewritten (<see cref="Matches"/>). 2: fused encoder attention.</summary>
    public const int GraphFormat = 2;

    public static OnnxExportResult Save(ILanguageModel model, string dir, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        var c = model.Config;
        if (c.HeadDim % 16 != 0)
            throw new ArgumentException($"ONNX export needs a head dimension that is a multiple of 16 (GroupQueryAttention's rotary kernel); '{c.Name}' has {c.HeadDim}");
        Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // fp32 weights in, whatever the model runs in: the graphs compute in fp32.
        var state = model.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32));
        var bytes = new Dictionary<string, long>();
        var graphs = new JsonObject();
        void Write(OnnxGraph g, string file)
        {
            g.Save(Path.Combine(dir, file), "NotebookSlm");
            bytes[file] = g.InitializerBytes;
            graphs[file] = Describe(g);
        }

        if (c.IsEncoderDecoder)
        {
            var encoder = new OnnxGraph("encoder");
            Write(EncoderGraph(c, encoder, new LayerEmitter(encoder, c, state, options.Weights), "batch", "encoder_sequence"), Encoder);
            Write(DecoderGraph(c, state, options), Decoder);
        }
        else Write(DecoderOnlyGraph(c, state, options), DecoderOnly);

        var description = new JsonObject
        {
            ["producer"] = "NotebookSlm",
            ["graph_format"] = GraphFormat,
            ["architecture"] = c.IsEncoderDecoder ? "encoder-decoder" : "decoder-only",
            ["weights"] = options.Weights.ToString().ToLowerInvariant(),
            ["max_positions"] = options.MaxPositions,
            ["config"] = JsonNode.Parse(c.ToJson()),
            ["cache"] = "self-attention K/V buffers (batch, kv_heads, max_length, head_dim) bound as both past and present; "
                      + "seqlens_k[b] = tokens in row b's cache after this step minus one; total_sequence_length = max over rows of seqlens_k + 1",
            ["query_head_order"] = c.KvInterleaved ? "as trained" : "permuted to GroupQueryAttention's grouping (query head h reads K/V head h / group)",
            ["graphs"] = graphs,
        };
        Runtime.AtomicFile.WriteText(Path.Combine(dir, Description), description.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return new OnnxExportResult(dir, bytes, options.Weights);
    }

    /// <summary>Whether <paramref name="dir"/> holds an export of exactly this configuration and
    /// weight format, covering at least <paramref name="positions"/> positions.</summary>
    public static bool Matches(string dir, ModelConfig config, OnnxWeights weights, int positions)
    {
        var path = Path.Combine(dir, Description);
        if (!File.Exists(path)) return false;
        var d = JsonNode.Parse(File.ReadAllText(path))!;
        return d["graph_format"]?.GetValue<int>() == GraphFormat
            && d["weights"]?.GetValue<string>() == weights.ToString().ToLowerInvariant()
            && d["max_positions"]?.GetValue<int>() >= positions
            && ModelConfig.FromJson(d["config"]!.ToJsonString(), path) == config;
    }

    internal static JsonObject Describe(OnnxGraph g)
    {
        JsonArray Values(IEnumerable<OnnxValue> vs) => new(vs.Select(v => (JsonNode)new JsonObject
        {
            ["name"] = v.Name, ["type"] = v.Type.ToString().ToLowerInvariant(),
            ["shape"] = new JsonArray(v.Shape.Select(d => d is string s ? (JsonNode)JsonValue.Create(s) : JsonValue.Create(Convert.ToInt64(d))).ToArray()),
        }).ToArray());
        return new JsonObject { ["inputs"] = Values(g.Inputs), ["outputs"] = Values(g.Outputs), ["weight_bytes"] = g.InitializerBytes };
    }

    /// <summary>The encoder graph; <paramref name="batch"/> and <paramref name="seq"/> are axis
    /// names (dynamic) or sizes (the static NPU export).</summary>
    internal static OnnxGraph EncoderGraph(ModelConfig c, OnnxGraph g, LayerEmitter e, object batch, object seq)
    {
        var ids = g.Input("input_ids", T.Int64, batch, seq);
        var mask = g.Input("attention_mask", T.Int64, batch, seq);
        e.SetTokens(ids);
        var (cos, sin) = e.CenteredRopeTables(ids);
        var x = e.Embed(ids);                                                                      // (B*S, D)
        for (int i = 0; i < c.EncoderLayers; i++)
        {
            var p = $"transformer.e.{i}";
            x = g.Op("Add", x, e.EncoderSelfAttention(e.RmsNorm(x, p + ".ln1.weight"), p + ".attn", cos, sin, mask));
            x = g.Op("Add", x, e.Mlp(e.RmsNorm(x, p + ".ln2.weight"), p + ".mlp"));
        }
        var states = e.RmsNorm(x, "transformer.ln_e.weight");
        g.Output(e.Unflatten(states, c.DModel), "last_hidden_state", T.Float, batch, seq, c.DModel);
        for (int i = 0; i < c.DecoderLayers; i++)
        {
            var (k, v) = e.KeysValues(states, $"transformer.h.{i}.cross_attn");
            g.Output(k, $"present.{i}.encoder.key", T.Float, batch, c.KvHeads, seq, c.HeadDim);
            g.Output(v, $"present.{i}.encoder.value", T.Float, batch, c.KvHeads, seq, c.HeadDim);
        }
        return g;
    }

    static OnnxGraph DecoderGraph(ModelConfig c, Dictionary<string, Tensor> state, OnnxExportOptions o)
    {
        var g = new OnnxGraph("decoder");
        var e = new LayerEmitter(g, c, state, o.Weights);
        var ids = g.Input("input_ids", T.Int64, "batch", "decoder_sequence");
        var encMask = g.Input("encoder_attention_mask", T.Int64, "batch", "encoder_sequence");
        var past = new List<(string K, string V, string EncK, string EncV)>();
        for (int i = 0; i < c.DecoderLayers; i++)
            past.Add((g.Input($"past_key_values.{i}.decoder.key", T.Float, "batch", c.KvHeads, "max_length", c.HeadDim),
                      g.Input($"past_key_values.{i}.decoder.value", T.Float, "batch", c.KvHeads, "max_length", c.HeadDim),
                      g.Input($"past_key_values.{i}.encoder.key", T.Float, "batch", c.KvHeads, "encoder_sequence", c.HeadDim),
                      g.Input($"past_key_values.{i}.encoder.value", T.Float, "batch", c.KvHeads, "encoder_sequence", c.HeadDim)));
        var (seqlens, total) = CacheLengths(g);
        e.SetTokens(ids);
        var (cos, sin) = e.RopeCaches(o.MaxPositions);
        var maskAdd = e.AdditiveMask(encMask);
        var x = e.Embed(ids);                                                                      // (B*T, D)
        for (int i = 0; i < c.DecoderLayers; i++)
        {
            var p = $"transformer.h.{i}";
            var (a, pk, pv) = e.CausalSelfAttention(e.RmsNorm(x, p + ".ln1.weight"), p + ".causal_attn", past[i].K, past[i].V, seqlens, total, cos, sin);
            x = g.Op("Add", x, a);
            x = g.Op("Add", x, e.CrossAttention(e.RmsNorm(x, p + ".ln2.weight"), p + ".cross_attn", past[i].EncK, past[i].EncV, maskAdd));
            x = g.Op("Add", x, e.Mlp(e.RmsNorm(x, p + ".ln3.weight"), p + ".mlp"));
            g.Output(pk, $"present.{i}.decoder.key", T.Float, "batch", c.KvHeads, "max_length", c.HeadDim);
            g.Output(pv, $"present.{i}.decoder.value", T.Float, "batch", c.KvHeads, "max_length", c.HeadDim);
        }
        g.Output(e.Unflatten(e.Head(e.RmsNorm(x, "transformer.ln_f.weight")), c.VocabSize), "logits", T.Float, "batch", "decoder_sequence", c.VocabSize);
        return g;
    }

    static OnnxGraph DecoderOnlyGraph(ModelConfig c, Dictionary<string, Tensor> state, OnnxExportOptions o)
    {
        var g = new OnnxGraph("decoder_only");
        var e = new LayerEmitter(g, c, state, o.Weights);
        var ids = g.Input("input_ids", T.Int64, "batch", "sequence");
        var past = Enumerable.Range(0, c.DecoderLayers).Select(i =>
            (K: g.Input($"past_key_values.{i}.key", T.Float, "batch", c.KvHeads, "max_length", c.HeadDim),
             V: g.Input($"past_key_values.{i}.value", T.Float, "batch", c.KvHeads, "max_length", c.HeadDim))).ToList();
        var (seqlens, total) = CacheLengths(g);
        // Prompts are right-padded; only each row's last real position needs logits.
        var last = g.Input("last_token_index", T.Int64, "batch");
        e.SetTokens(ids);
        var (cos, sin) = e.RopeCaches(o.MaxPositions);
        var x = e.Embed(ids);                                                                      // (B*S, D)
        for (int i = 0; i < c.DecoderLayers; i++)
        {
            var p = $"transformer.h.{i}";
            var (a, pk, pv) = e.CausalSelfAttention(e.RmsNorm(x, p + ".ln1.weight"), p + ".attn", past[i].K, past[i].V, seqlens, total, cos, sin);
            x = g.Op("Add", x, a);
            x = g.Op("Add", x, e.Mlp(e.RmsNorm(x, p + ".ln2.weight"), p + ".mlp"));
            g.Output(pk, $"present.{i}.key", T.Float, "batch", c.KvHeads, "max_length", c.HeadDim);
            g.Output(pv, $"present.{i}.value", T.Float, "batch", c.KvHeads, "max_length", c.HeadDim);
        }
        // Hidden states are (B*S, D): row b * S + last[b] is row b's last real token. (B, D), then logits (B, 1, V).
        var shape = g.Op("Shape", ids);
        var batch = g.Op("Gather", shape, g.ScalarInt64("dim", 0));
        var seq = g.Op("Gather", shape, g.ScalarInt64("dim", 1));
        var rows = g.Op("Add", g.Op("Mul", g.Op("Range", g.ScalarInt64("zero", 0), batch, g.ScalarInt64("step", 1)), seq), last);
        var picked = g.Op("Gather", x, rows);
        var logits = e.Head(e.RmsNorm(picked, "transformer.ln_f.weight"));
        g.Output(g.Op("Unsqueeze", logits, g.Int64s("axes", 1)), "logits", T.Float, "batch", 1, c.VocabSize);
        return g;
    }

    static (string SeqlensK, string Total) CacheLengths(OnnxGraph g) =>
        (g.Input("seqlens_k", T.Int32, "batch"), g.Input("total_sequence_length", T.Int32));
}
