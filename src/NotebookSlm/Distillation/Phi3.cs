using System.Text.Json;
using NotebookSlm.Checkpoints;
using NotebookSlm.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSlm.Distillation;

/// <summary>
/// What a Phi-3 / Phi-3.5 <c>config.json</c> (<c>Phi3ForCausalLM</c>) says, and our block
/// configuration for it: a Llama-style decoder-only (SwiGLU, no biases, pre-RMSNorm, rotate-half
/// RoPE, <c>repeat_interleave</c> grouping of K/V heads), so that the teacher runs on the same
/// attention and block classes as our own models.
/// </summary>
public sealed record Phi3Config(
    int HiddenSize, int IntermediateSize, int Layers, int Heads, int KvHeads, int VocabSize, double RmsNormEps,
    double RopeTheta, int MaxPositions, int OriginalMaxPositions, string? RopeScaling, double[]? ShortFactor, double[]? LongFactor,
    bool TieWordEmbeddings)
{
    public int HeadDim => HiddenSize / Heads;

    public static Phi3Config Read(string path)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON ({e.Message})"); }
        int Int(string key) => root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32()
            : throw new InvalidDataException($"{path}: '{key}' is missing or not a number (a Phi-3 config.json has it)");
        double Num(string key, double fallback) => root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        int heads = Int("num_attention_heads");
        int kv = root.TryGetProperty("num_key_value_heads", out var k) && k.ValueKind == JsonValueKind.Number ? k.GetInt32() : heads;
        int max = Int("max_position_embeddings");
        int original = root.TryGetProperty("original_max_position_embeddings", out var o) && o.ValueKind == JsonValueKind.Number ? o.GetInt32() : max;
        string? scaling = null; double[]? shortF = null, longF = null;
        if (root.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object)
        {
            scaling = rs.TryGetProperty("type", out var t) ? t.GetString() : rs.TryGetProperty("rope_type", out var rt) ? rt.GetString() : null;
            if (scaling is not ("longrope" or "su"))
                throw new InvalidDataException($"{path}: rope_scaling type '{scaling}' is not supported; expected longrope (or its old name su), or no rope_scaling");
            double[] Factors(string key) => rs.TryGetProperty(key, out var f) && f.ValueKind == JsonValueKind.Array
                ? f.EnumerateArray().Select(x => x.GetDouble()).ToArray()
                : throw new InvalidDataException($"{path}: rope_scaling.{key} is missing (longrope needs one factor per rotary frequency)");
            shortF = Factors("short_factor"); longF = Factors("long_factor");
        }
        var c = new Phi3Config(Int("hidden_size"), Int("intermediate_size"), Int("num_hidden_layers"), heads, kv, Int("vocab_size"),
                               Num("rms_norm_eps", 1e-5), Num("rope_theta", 10000), max, original, scaling, shortF, longF,
                               root.TryGetProperty("tie_word_embeddings", out var tie) && tie.ValueKind == JsonValueKind.True);
        if (c.HiddenSize % heads != 0) throw new InvalidDataException($"{path}: hidden_size {c.HiddenSize} is not a multiple of num_attention_heads {heads}");
        if (heads % kv != 0) throw new InvalidDataException($"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}");
        if (shortF is not null && (shortF.Length != c.HeadDim / 2 || longF!.Length != c.HeadDim / 2))
            throw new InvalidDataException($"{path}: rope_scaling has {shortF.Length} short and {longF!.Length} long factors; expected head_dim / 2 = {c.HeadDim / 2} each");
        return c;
    }

    /// <summary>The block configuration our modules are built from.</summary>
    public ModelConfig Blocks(string name) => new()
    {
        Name = name, Architecture = Architecture.DecoderOnly, DecoderLayers = Layers, DModel = HiddenSize, Heads = Heads, KvHeads = KvHeads,
        HeadDim = HeadDim, MlpHidden = IntermediateSize, Mlp = MlpKind.SwiGlu, Bias = false, VocabSize = VocabSize,
        BlockSize = OriginalMaxPositions, Dropout = 0, RopeTheta = RopeTheta, KvInterleaved = true, TiedEmbeddings = TieWordEmbeddings,
        NormEps = RmsNormEps, CenteredEncoderPositions = false,
    };
}

/// <summary>
/// A Phi-3 / Phi-3.5 decoder-only teacher from Hugging Face files: <c>config.json</c>, the weights
/// in <c>model.safetensors</c> or in shards listed by <c>model.safetensors.index.json</c>, and an
/// optional PEFT LoRA adapter merged into them, as the authors fine-tuned their teacher. The fused
/// <c>qkv_proj</c> and <c>gate_up_proj</c> are split at load time into our attention's q, k, v and
/// our SwiGLU's gate and up, so the forward is our <see cref="SelfAttentionBlock"/>; only the
/// rotary tables are Phi-3's own (LongRoPE).
/// </summary>
public sealed class Phi3Teacher : nn.Module<Tensor, Tensor?, Tensor>, ITeacher
{
    // our module keys: embed_tokens, layers.{i}.{ln1, attn.{q,k,v,out}_linear, ln2, mlp.{gate, fc1, fc2}}, norm, lm_head
    readonly Embedding embed_tokens;
    readonly ModuleList<SelfAttentionBlock> layers;
    readonly RmsNorm norm;
    readonly Linear? lm_head;
    readonly Phi3Config phi;

    public string Name { get; }
    public int VocabSize => phi.VocabSize;
    public Phi3Config Phi => phi;

    Phi3Teacher(Phi3Config phi, string name) : base(nameof(Phi3Teacher))
    {
        this.phi = phi;
        Name = name;
        var c = phi.Blocks(name);
        embed_tokens = nn.Embedding(phi.VocabSize, phi.HiddenSize);
        layers = new ModuleList<SelfAttentionBlock>([.. Enumerable.Range(0, phi.Layers).Select(_ => new SelfAttentionBlock(c))]);
        norm = new RmsNorm(phi.HiddenSize, phi.RmsNormEps);
        if (!phi.TieWordEmbeddings) lm_head = nn.Linear(phi.HiddenSize, phi.VocabSize, hasBias: false);
        RegisterComponents();
        eval();
    }

    /// <summary>Loads a Phi-3 folder (and merges <paramref name="adapterDir"/>'s LoRA when given) onto
    /// <paramref name="device"/> (CPU when null), in BF16 where the device computes it natively
    /// (CUDA; on this CPU bf16 runs at a fraction of fp32's speed) unless <paramref name="bf16"/> says.</summary>
    public static Phi3Teacher Load(string dir, string? adapterDir = null, Device? device = null, bool? bf16 = null)
    {
        var configPath = Path.Combine(dir, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{dir}: no config.json (expected a Hugging Face Phi-3 folder)", configPath);
        var phi = Phi3Config.Read(configPath);
        var weights = HfWeights.Load(dir);
        if (adapterDir is not null) Lora.Merge(weights, adapterDir);
        var teacher = new Phi3Teacher(phi, Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)) + (adapterDir is null ? "" : "+" + Path.GetFileName(Path.TrimEndingDirectorySeparator(adapterDir))));
        teacher.LoadHf(weights, dir);
        if (device is not null) teacher.to(device);
        if (bf16 ?? device?.type == DeviceType.CUDA) teacher.to(ScalarType.BFloat16);
        return teacher;
    }

    /// <summary>Hugging Face keys to ours, splitting the fused projections (q, k, v rows stacked in
    /// qkv_proj; gate rows then up rows in gate_up_proj).</summary>
    void LoadHf(Dictionary<string, Tensor> hf, string source)
    {
        int q = phi.Heads * phi.HeadDim, kv = phi.KvHeads * phi.HeadDim, inter = phi.IntermediateSize;
        Tensor Take(string key) => hf.Remove(key, out var t) ? t.to(ScalarType.Float32)
            : throw new InvalidDataException($"{source}: no weight '{key}' (a Phi-3 checkpoint has it)");
        var ours = new Dictionary<string, Tensor> { ["embed_tokens.weight"] = Take("model.embed_tokens.weight"), ["norm.weight"] = Take("model.norm.weight") };
        if (lm_head is not null) ours["lm_head.weight"] = Take("lm_head.weight");
        else hf.Remove("lm_head.weight");
        for (int i = 0; i < phi.Layers; i++)
        {
            string h = $"model.layers.{i}.", o = $"layers.{i}.";
            var qkv = Take(h + "self_attn.qkv_proj.weight");
            if (qkv.shape[0] != q + 2 * kv) throw new InvalidDataException($"{source}: {h}self_attn.qkv_proj.weight has {qkv.shape[0]} rows; expected {q} + 2 x {kv}");
            ours[o + "attn.q_linear.weight"] = qkv.narrow(0, 0, q);
            ours[o + "attn.k_linear.weight"] = qkv.narrow(0, q, kv);
            ours[o + "attn.v_linear.weight"] = qkv.narrow(0, q + kv, kv);
            ours[o + "attn.out_linear.weight"] = Take(h + "self_attn.o_proj.weight");
            var gateUp = Take(h + "mlp.gate_up_proj.weight");
            ours[o + "mlp.gate.weight"] = gateUp.narrow(0, 0, inter);
            ours[o + "mlp.fc1.weight"] = gateUp.narrow(0, inter, inter);
            ours[o + "mlp.fc2.weight"] = Take(h + "mlp.down_proj.weight");
            ours[o + "ln1.weight"] = Take(h + "input_layernorm.weight");
            ours[o + "ln2.weight"] = Take(h + "post_attention_layernorm.weight");
        }
        var unused = hf.Keys.Where(k => !k.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)).Order().ToList();
        if (unused.Count > 0) throw new InvalidDataException($"{source}: weights that a Phi-3 model of this config.json has no place for: {string.Join(", ", unused.Take(5))}");
        using var noGrad = no_grad();
        var mine = state_dict();
        foreach (var (key, value) in ours)
        {
            var p = mine[key];
            if (!p.shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"{source}: '{key}' has shape [{string.Join(", ", value.shape)}]; config.json implies [{string.Join(", ", p.shape)}]");
            p.copy_(value);
        }
    }

    /// <summary>
    /// LongRoPE (Phi-3's <c>rope_scaling</c> "longrope"): each inverse frequency base^(-2i/d) is
    /// divided by its factor (the long ones once the sequence is longer than
    /// original_max_position_embeddings, the short ones otherwise), and cos and sin are scaled by
    /// sqrt(1 + ln(s) / ln(original_max)), s = max_positions / original_max (1 when s is 1).
    /// Without rope_scaling it is plain RoPE. Positions 0 .. length - 1, padding counted.
    /// </summary>
    public RopeTables Rope(int length, Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        int d = phi.HeadDim;
        var exponent = arange(0, d, 2, dtype: ScalarType.Float64, device: device) / d;
        var invFreq = 1.0 / tensor(phi.RopeTheta, ScalarType.Float64, device).pow(exponent);          // (Dh/2)
        double scale = 1.0;
        if (phi.ShortFactor is not null)
        {
            var factors = length > phi.OriginalMaxPositions ? phi.LongFactor! : phi.ShortFactor;
            invFreq = invFreq / tensor(factors, ScalarType.Float64, device);
            double s = (double)phi.MaxPositions / phi.OriginalMaxPositions;
            scale = s <= 1.0 ? 1.0 : Math.Sqrt(1 + Math.Log(s) / Math.Log(phi.OriginalMaxPositions));
        }
        var freqs = outer(arange(length, dtype: ScalarType.Float64, device: device), invFreq);       // (T, Dh/2)
        var emb = cat([freqs, freqs], -1);                                                              // (T, Dh)
        var cos = (emb.cos() * scale).to(dtype);
        var sin = (emb.sin() * scale).to(dtype);
        return new RopeTables(cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>Logits (B, T, V) of ids (B, T); <paramref name="valid"/> (B, T) marks real tokens (null: all).</summary>
    public override Tensor forward(Tensor ids, Tensor? valid)
    {
        using var scope = NewDisposeScope();
        int t = (int)ids.shape[1];
        var x = embed_tokens.forward(ids);                                                              // (B, T, D)
        var rope = Rope(t, x.device, x.dtype);
        var allowed = valid is null ? Masks.Causal(t, t, 0, x.device) : Masks.CausalWithPadding(valid, t, 0);
        var ctx = new SelfAttentionContext(rope, allowed);
        foreach (var layer in layers) x = layer.Forward(x, ctx, null);
        x = norm.forward(x);
        var logits = lm_head is null ? x.matmul(embed_tokens.weight!.t()) : lm_head.forward(x);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Greedy decoding one row at a time, recomputing the prefix every step (no KV cache:
    /// a teacher generates once per dataset, and the cached targets are reused after).</summary>
    public IReadOnlyList<int[]> Generate(IReadOnlyList<int[]> sources, int maxNewTokens, int eosId)
    {
        using var noGrad = no_grad();
        var outputs = new List<int[]>(sources.Count);
        foreach (var source in sources)
        {
            var ids = source.Select(x => (long)x).ToList();
            var generated = new List<int>();
            for (int i = 0; i < maxNewTokens; i++)
            {
                using var scope = NewDisposeScope();
                var logits = forward(tensor(ids.ToArray()).unsqueeze(0), null);                      // (1, T, V)
                int next = (int)logits[0, -1].argmax().item<long>();
                generated.Add(next);
                ids.Add(next);
                if (next == eosId) break;
            }
            outputs.Add([.. generated]);
        }
        return outputs;
    }

    public Tensor TargetLogits(Seq2SeqBatch batch)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (ids, valid) = TeacherAlignment.Input(batch);
        return TeacherAlignment.TargetPositions(forward(ids, valid), batch).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}

/// <summary>Hugging Face safetensors weights: one <c>model.safetensors</c>, or the shards that
/// <c>model.safetensors.index.json</c>'s <c>weight_map</c> lists.</summary>
public static class HfWeights
{
    public static Dictionary<string, Tensor> Load(string dir)
    {
        var index = Path.Combine(dir, "model.safetensors.index.json");
        var single = Path.Combine(dir, "model.safetensors");
        if (File.Exists(index))
        {
            JsonElement map;
            try { map = JsonDocument.Parse(File.ReadAllText(index)).RootElement.GetProperty("weight_map"); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException) { throw new InvalidDataException($"{index}: expected a JSON object with a 'weight_map' ({e.Message})"); }
            var byShard = map.EnumerateObject().GroupBy(p => p.Value.GetString()!, p => p.Name);
            var all = new Dictionary<string, Tensor>();
            foreach (var shard in byShard)
            {
                var path = Path.Combine(dir, shard.Key);
                if (!File.Exists(path)) throw new FileNotFoundException($"{index} lists shard {shard.Key}, which is not in {dir}", path);
                var wanted = shard.ToHashSet();
                var tensors = SafeTensors.Load(path, wanted.Contains);
                foreach (var key in wanted)
                    all[key] = tensors.TryGetValue(key, out var t) ? t : throw new InvalidDataException($"{index} maps '{key}' to {shard.Key}, which does not hold it");
            }
            return all;
        }
        if (File.Exists(single)) return SafeTensors.Load(single);
        throw new FileNotFoundException($"{dir}: neither model.safetensors nor model.safetensors.index.json", single);
    }
}

/// <summary>
/// PEFT LoRA adapters merged into base weights: <c>adapter_config.json</c> (r, lora_alpha,
/// target_modules, use_rslora, fan_in_fan_out) and <c>adapter_model.safetensors</c> with
/// <c>base_model.model.&lt;module&gt;.lora_A.weight</c> (r x in) and <c>.lora_B.weight</c> (out x r)
/// (an in-memory PEFT state dict's <c>.default</c> and <c>.base_layer</c> parts are accepted too).
/// W += (alpha / r) B A, or alpha / sqrt(r) with rsLoRA.
/// </summary>
public static class Lora
{
    public static int Merge(Dictionary<string, Tensor> weights, string adapterDir)
    {
        var configPath = Path.Combine(adapterDir, "adapter_config.json");
        var modelPath = Path.Combine(adapterDir, "adapter_model.safetensors");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{adapterDir}: no adapter_config.json (expected a PEFT LoRA adapter folder)", configPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{adapterDir}: no adapter_model.safetensors", modelPath);
        var c = JsonDocument.Parse(File.ReadAllText(configPath)).RootElement;
        double r = c.TryGetProperty("r", out var rv) ? rv.GetDouble() : throw new InvalidDataException($"{configPath}: 'r' is missing");
        double alpha = c.TryGetProperty("lora_alpha", out var av) ? av.GetDouble() : r;
        bool rs = c.TryGetProperty("use_rslora", out var rsv) && rsv.ValueKind == JsonValueKind.True;
        bool fanInFanOut = c.TryGetProperty("fan_in_fan_out", out var fv) && fv.ValueKind == JsonValueKind.True;
        double scale = rs ? alpha / Math.Sqrt(r) : alpha / r;
        var adapter = SafeTensors.Load(modelPath);
        static string Module(string key) => key.Replace("base_model.model.", "").Replace(".default", "").Replace(".base_layer", "");
        int merged = 0;
        using var noGrad = no_grad();
        foreach (var aKey in adapter.Keys.Where(k => k.Contains(".lora_A.")).Order())
        {
            var bKey = aKey.Replace(".lora_A.", ".lora_B.");
            if (!adapter.TryGetValue(bKey, out var b)) throw new InvalidDataException($"{modelPath}: '{aKey}' has no '{bKey}'");
            var target = Module(aKey[..aKey.IndexOf(".lora_A.", StringComparison.Ordinal)]) + ".weight";
            if (!weights.TryGetValue(target, out var w)) throw new InvalidDataException($"{modelPath}: adapter for '{target}', which the base model does not have");
            var delta = b.to(ScalarType.Float32).matmul(adapter[aKey].to(ScalarType.Float32)) * scale;           // (out, in)
            if (fanInFanOut) delta = delta.t();
            if (!delta.shape.SequenceEqual(w.shape)) throw new InvalidDataException($"{modelPath}: the update of '{target}' is [{string.Join(", ", delta.shape)}], the weight [{string.Join(", ", w.shape)}]");
            weights[target] = w.to(ScalarType.Float32) + delta;
            merged++;
        }
        if (merged == 0) throw new InvalidDataException($"{modelPath}: no lora_A / lora_B pairs");
        return merged;
    }
}
