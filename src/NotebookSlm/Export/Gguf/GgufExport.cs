using NotebookSlm.Models;
using static TorchSharp.torch;

namespace NotebookSlm.Export.Gguf;

/// <summary>GGUF export settings: tensor storage (norm gains stay f32 whatever this says, as
/// llama.cpp's converters write them) and, optionally, the vocabulary to embed.</summary>
public sealed record GgufExportOptions
{
    public GgmlType Dtype { get; init; } = GgmlType.F32;
    /// <summary>Null: <see cref="GgufVocabulary.For"/> the model's configuration.</summary>
    public GgufVocabulary? Vocabulary { get; init; }
}

public sealed record GgufExportResult(string Path, long FileBytes, GgmlType Dtype, int Tensors, string Vocabulary);

/// <summary>
/// The Llama-style decoder-only model (SwiGLU, no biases) as a llama-architecture GGUF that
/// llama.cpp runs unmodified. Names: token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v,
/// attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down}, output_norm; tied embeddings write no
/// output.weight (llama.cpp then multiplies by token_embd).
/// </summary>
/// <remarks>
/// Two layouts differ between our model and llama.cpp, and both are fixed by permuting rows of
/// q and k (and columns of the output projection), which leaves every attention score unchanged:
/// <list type="number">
/// <item>RoPE. We rotate halves (x_i with x_{i+Dh/2}, Hugging Face's rotate_half); llama.cpp's llama
/// architecture rotates adjacent pairs (x_{2i} with x_{2i+1}, Meta's layout). Moving row j*Dh/2 + i
/// of each head to row 2i + j (as Hugging Face's convert_hf_to_gguf does in reverse of its Meta
/// import) makes pair i of theirs the pair i of ours, rotated by the same frequency; q.k is a sum
/// over dimensions, so permuting q and k alike keeps it. V is not rotated and keeps its order.</item>
/// <item>GQA grouping. llama.cpp's query head h reads K/V head h / G; with KvInterleaved false our
/// head h reads h mod Hkv, so query heads are reordered (new head h' is old head (h' mod G) * Hkv + h' / G)
/// and the output projection's input columns with them, as the ONNX export does.</item>
/// </list>
/// </remarks>
public static class GgufExport
{
    /// <summary>What stops a configuration from being exported; empty when it can be.</summary>
    public static IReadOnlyList<string> Problems(ModelConfig c)
    {
        var p = new List<string>();
        if (c.IsEncoderDecoder) p.Add("it is an encoder-decoder (llama.cpp's llama architecture is decoder-only)");
        if (c.Bias) p.Add("it has biases (Bias = true; the llama architecture has none: use the Llama-style variant)");
        if (c.Mlp != MlpKind.SwiGlu) p.Add($"its MLP is {c.Mlp} (the llama architecture is SwiGLU: use the Llama-style variant)");
        if (c.RopeFactor > 1) p.Add($"it scales RoPE with NTK factor {c.RopeFactor} (llama.cpp would not reproduce the length-dependent base)");
        return p;
    }

    public static void EnsureExportable(ModelConfig c)
    {
        var p = Problems(c);
        if (p.Count > 0) throw new ConfigException($"cannot export '{c.Name}' as a llama GGUF: " + string.Join("; ", p));
    }

    /// <summary>Our row index for each row of llama.cpp's q (or k) weight within one head.</summary>
    public static int[] RopeRowOrder(int headDim) =>
        Enumerable.Range(0, headDim).Select(r => (r % 2) * (headDim / 2) + r / 2).ToArray();

    /// <summary>Our query head for each of llama.cpp's query heads.</summary>
    public static int[] QueryHeadOrder(ModelConfig c) => c.KvInterleaved
        ? Enumerable.Range(0, c.Heads).ToArray()
        : Enumerable.Range(0, c.Heads).Select(h => (h % c.GroupSize) * c.KvHeads + h / c.GroupSize).ToArray();

    public static GgufExportResult Save(ILanguageModel model, string path, GgufExportOptions? options = null)
    {
        options ??= new GgufExportOptions();
        var c = model.Config;
        EnsureExportable(c);
        if (options.Dtype is not (GgmlType.F32 or GgmlType.F16)) throw new ArgumentException($"unsupported GGUF dtype {options.Dtype}");
        var vocab = options.Vocabulary ?? GgufVocabulary.For(c);
        if (vocab.Tokens.Length != c.VocabSize)
            throw new ConfigException($"vocabulary '{vocab.Source}' has {vocab.Tokens.Length} tokens but '{c.Name}' has VocabSize {c.VocabSize}");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = model.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32));
        Tensor W(string key) => state.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"state dict has no '{key}'");

        var w = new GgufWriter();
        Metadata(w, c, options.Dtype, vocab);

        var qHeads = QueryHeadOrder(c);
        var ropeRows = RopeRowOrder(c.HeadDim);
        // Row index of llama.cpp's q (k) weight into ours: head order, then RoPE pair order within a head.
        var qRows = tensor(qHeads.SelectMany(h => ropeRows.Select(r => (long)(h * c.HeadDim + r))).ToArray());
        var kRows = tensor(Enumerable.Range(0, c.KvHeads).SelectMany(h => ropeRows.Select(r => (long)(h * c.HeadDim + r))).ToArray());
        var outCols = tensor(qHeads.SelectMany(h => Enumerable.Range(h * c.HeadDim, c.HeadDim).Select(i => (long)i)).ToArray());

        void Add(string name, Tensor t, bool forceF32 = false)
        {
            var type = forceF32 ? GgmlType.F32 : options.Dtype;
            var data = t.contiguous();
            w.AddTensor(name, data.shape, type, () =>
            {
                using var converted = data.to(type == GgmlType.F16 ? ScalarType.Float16 : ScalarType.Float32).contiguous();
                return converted.bytes.ToArray();
            });
        }

        Add("token_embd.weight", W("transformer.wte.weight"));                           // (V, D): ne = [D, V]
        for (int i = 0; i < c.DecoderLayers; i++)
        {
            string p = $"transformer.h.{i}", b = $"blk.{i}";
            Add($"{b}.attn_norm.weight", W($"{p}.ln1.weight"), forceF32: true);
            Add($"{b}.attn_q.weight", W($"{p}.attn.q_linear.weight").index_select(0, qRows));
            Add($"{b}.attn_k.weight", W($"{p}.attn.k_linear.weight").index_select(0, kRows));
            Add($"{b}.attn_v.weight", W($"{p}.attn.v_linear.weight"));
            Add($"{b}.attn_output.weight", W($"{p}.attn.out_linear.weight").index_select(1, outCols));
            Add($"{b}.ffn_norm.weight", W($"{p}.ln2.weight"), forceF32: true);
            Add($"{b}.ffn_gate.weight", W($"{p}.mlp.gate.weight"));
            Add($"{b}.ffn_up.weight", W($"{p}.mlp.fc1.weight"));
            Add($"{b}.ffn_down.weight", W($"{p}.mlp.fc2.weight"));
        }
        Add("output_norm.weight", W("transformer.ln_f.weight"), forceF32: true);
        if (!c.TiedEmbeddings) Add("output.weight", W("lm_head.weight"));

        w.Save(path);
        int count = 2 + 9 * c.DecoderLayers + (c.TiedEmbeddings ? 0 : 1);
        return new GgufExportResult(path, new FileInfo(path).Length, options.Dtype, count, vocab.Source);
    }

    static void Metadata(GgufWriter w, ModelConfig c, GgmlType dtype, GgufVocabulary vocab)
    {
        const string a = "llama";
        w.Add("general.architecture", a);
        w.Add("general.name", c.Name);
        w.Add("general.alignment", (uint)Gguf.DefaultAlignment);
        w.Add("general.file_type", (uint)(dtype == GgmlType.F16 ? 1 : 0));   // LLAMA_FTYPE_ALL_F32 / MOSTLY_F16
        w.Add("general.source.config", c.ToJson());                            // to recognise an export later
        w.Add($"{a}.context_length", (uint)c.BlockSize);
        w.Add($"{a}.embedding_length", (uint)c.DModel);
        w.Add($"{a}.block_count", (uint)c.DecoderLayers);
        w.Add($"{a}.feed_forward_length", (uint)c.MlpHidden);
        w.Add($"{a}.attention.head_count", (uint)c.Heads);
        w.Add($"{a}.attention.head_count_kv", (uint)c.KvHeads);
        // Our attention width (Heads x HeadDim) need not equal DModel (384 against 768 in the
        // 330M models), so the head size is stated rather than left to default to DModel / Heads.
        w.Add($"{a}.attention.key_length", (uint)c.HeadDim);
        w.Add($"{a}.attention.value_length", (uint)c.HeadDim);
        w.Add($"{a}.attention.layer_norm_rms_epsilon", (float)c.NormEps);
        w.Add($"{a}.rope.freq_base", (float)c.RopeTheta);
        w.Add($"{a}.rope.dimension_count", (uint)c.HeadDim);
        w.Add($"{a}.vocab_size", (uint)c.VocabSize);
        w.Add("tokenizer.ggml.model", "llama");
        w.Add("tokenizer.ggml.tokens", vocab.Tokens);
        w.Add("tokenizer.ggml.scores", vocab.Scores);
        w.Add("tokenizer.ggml.token_type", vocab.Types.Select(t => (int)t).ToArray());
        w.Add("tokenizer.ggml.bos_token_id", (uint)c.BosId);
        w.Add("tokenizer.ggml.eos_token_id", (uint)c.EosId);
        w.Add("tokenizer.ggml.padding_token_id", (uint)c.PadId);
        w.Add("tokenizer.ggml.unknown_token_id", (uint)vocab.UnknownId);
        w.Add("tokenizer.ggml.add_bos_token", false);   // prompts are token ids, given exactly
        w.Add("tokenizer.ggml.add_eos_token", false);
    }

    /// <summary>Whether <paramref name="path"/> is an export of exactly this configuration in this dtype.</summary>
    public static bool Matches(string path, ModelConfig config, GgmlType dtype)
    {
        if (!File.Exists(path)) return false;
        try
        {
            var r = GgufReader.Open(path);
            return r.Get<uint>("general.file_type") == (dtype == GgmlType.F16 ? 1u : 0u)
                && ModelConfig.FromJson(r.Get<string>("general.source.config"), path) == config;
        }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or ConfigException or EndOfStreamException) { return false; }
    }

    /// <summary>The cached export of a seeded random-weight model (speed studies), written once.</summary>
    public static string ExportOnce(ModelConfig config, GgmlType dtype, int seed, string root, Action<string>? log = null)
    {
        var path = Path.Combine(root, $"{config.Name}-{dtype.ToString().ToLowerInvariant()}-seed{seed}.gguf");
        if (Matches(path, config, dtype)) return path;
        log?.Invoke($"exporting {config.Name} ({dtype}) to {path}");
        var model = LanguageModel.Create(config, seed);
        try { Save(model, path, new GgufExportOptions { Dtype = dtype }); }
        finally { model.Module.Dispose(); }
        return path;
    }
}
