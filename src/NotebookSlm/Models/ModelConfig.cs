using System.Text.Json.Serialization;

namespace NotebookSlm.Models;

public enum Architecture { EncoderDecoder, DecoderOnly }

/// <summary>MLP flavour: the released tanh-GELU (fc1, fc2) or Llama-style SwiGLU (fc1 = up, gate, fc2 = down).</summary>
public enum MlpKind { GeluTanh, SwiGlu }

/// <summary>Raised for an invalid configuration; names every offending field.</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>
/// One immutable description of a model, for both architectures. Sizes that follow from
/// others (attention width, KV width, group size) are computed, never stored.
/// Names follow the released code's <c>MuConfig</c> where it has one.
/// Make variants with <c>with</c>; <see cref="Validate"/> (called by every model constructor,
/// by <see cref="Presets"/> and by the JSON reader) rejects inconsistent ones.
/// </summary>
public sealed record ModelConfig
{
    public string Name { get; init; } = "custom";
    public Architecture Architecture { get; init; } = Architecture.EncoderDecoder;
    /// <summary>Encoder layers (0 for decoder-only).</summary>
    public int EncoderLayers { get; init; }
    /// <summary>Decoder layers (all layers for decoder-only).</summary>
    public int DecoderLayers { get; init; }
    /// <summary>Residual width (<c>n_embd</c>).</summary>
    public int DModel { get; init; }
    /// <summary>Query heads (<c>n_head</c>).</summary>
    public int Heads { get; init; }
    /// <summary>Key/value heads (<c>n_kv_head</c>); Heads/KvHeads queries share one K/V head (GQA).</summary>
    public int KvHeads { get; init; }
    public int HeadDim { get; init; } = 64;
    /// <summary>MLP hidden width (<c>hidden_dim</c>).</summary>
    public int MlpHidden { get; init; }
    public MlpKind Mlp { get; init; } = MlpKind.GeluTanh;
    /// <summary>Biases on every linear layer, as released; false gives the Llama-style variant.</summary>
    public bool Bias { get; init; } = true;
    public int VocabSize { get; init; }
    /// <summary>Training context (<c>block_size</c>), also the L0 of NTK scaling.</summary>
    public int BlockSize { get; init; } = 1024;
    public double Dropout { get; init; } = 0.1;
    public double RopeTheta { get; init; } = 10000;
    /// <summary>NTK factor; above 1 the RoPE base grows for sequences longer than BlockSize.</summary>
    public double RopeFactor { get; init; } = 1.0;
    /// <summary>Centre encoder RoPE positions on the middle token, as the released code does.</summary>
    public bool CenteredEncoderPositions { get; init; } = true;
    /// <summary>False (released): query head h reads K/V head h mod KvHeads (<c>torch.cat</c> repeat).
    /// True: query head h reads K/V head h / (Heads/KvHeads) (<c>repeat_interleave</c>, Llama).</summary>
    public bool KvInterleaved { get; init; }
    public bool TiedEmbeddings { get; init; } = true;
    public double NormEps { get; init; } = 1e-6;
    public int PadId { get; init; }
    public int BosId { get; init; } = 1;
    public int EosId { get; init; } = 2;
    /// <summary>The tokenizer the model is built for (its <c>ITokenizer.Name</c>); empty when none
    /// was named. Set with <see cref="ForTokenizer"/>, which also takes the tokenizer's special ids.</summary>
    public string Tokenizer { get; init; } = "";

    /// <summary>A copy with some fields changed, for F# (which cannot use C#'s <c>with</c> on
    /// init-only properties): <c>c.With(heads = 8, kvHeads = 4)</c>. A test checks that every
    /// property has its parameter here.</summary>
    public ModelConfig With(
        string? name = null,
        Architecture? architecture = null,
        int? encoderLayers = null,
        int? decoderLayers = null,
        int? dModel = null,
        int? heads = null,
        int? kvHeads = null,
        int? headDim = null,
        int? mlpHidden = null,
        MlpKind? mlp = null,
        bool? bias = null,
        int? vocabSize = null,
        int? blockSize = null,
        double? dropout = null,
        double? ropeTheta = null,
        double? ropeFactor = null,
        bool? centeredEncoderPositions = null,
        bool? kvInterleaved = null,
        bool? tiedEmbeddings = null,
        double? normEps = null,
        int? padId = null,
        int? bosId = null,
        int? eosId = null,
        string? tokenizer = null) =>
        this with
        {
            Name = name ?? Name,
            Architecture = architecture ?? Architecture,
            EncoderLayers = encoderLayers ?? EncoderLayers,
            DecoderLayers = decoderLayers ?? DecoderLayers,
            DModel = dModel ?? DModel,
            Heads = heads ?? Heads,
            KvHeads = kvHeads ?? KvHeads,
            HeadDim = headDim ?? HeadDim,
            MlpHidden = mlpHidden ?? MlpHidden,
            Mlp = mlp ?? Mlp,
            Bias = bias ?? Bias,
            VocabSize = vocabSize ?? VocabSize,
            BlockSize = blockSize ?? BlockSize,
            Dropout = dropout ?? Dropout,
            RopeTheta = ropeTheta ?? RopeTheta,
            RopeFactor = ropeFactor ?? RopeFactor,
            CenteredEncoderPositions = centeredEncoderPositions ?? CenteredEncoderPositions,
            KvInterleaved = kvInterleaved ?? KvInterleaved,
            TiedEmbeddings = tiedEmbeddings ?? TiedEmbeddings,
            NormEps = normEps ?? NormEps,
            PadId = padId ?? PadId,
            BosId = bosId ?? BosId,
            EosId = eosId ?? EosId,
            Tokenizer = tokenizer ?? Tokenizer,
        };

    /// <summary>
    /// This configuration built for <paramref name="t"/>: special ids come from the tokenizer,
    /// once (the Phi-3.5 tokenizer's eos is 32000, not the presets' 2), the vocabulary covers
    /// every id it produces (rounded up to a multiple of 64, as released: 32,111 ids give
    /// 32,128), and the tokenizer's name is recorded, so a checkpoint knows what it was
    /// trained with.
    /// </summary>
    public ModelConfig ForTokenizer(Tokenization.ITokenizer t) =>
        (this with
        {
            VocabSize = (t.VocabSize + 63) / 64 * 64,
            PadId = t.PadId, BosId = t.BosId, EosId = t.EosId, Tokenizer = t.Name,
        }).Validate();

    /// <summary>Throws naming both sides when <paramref name="t"/> is not the tokenizer this
    /// model was built for: another name, other special ids, or ids beyond the vocabulary.</summary>
    public void CheckTokenizer(Tokenization.ITokenizer t, string where)
    {
        var problems = new List<string>();
        if (Tokenizer.Length > 0 && Tokenizer != t.Name) problems.Add($"it was built for tokenizer '{Tokenizer}', not '{t.Name}'");
        if (PadId != t.PadId || BosId != t.BosId || EosId != t.EosId)
            problems.Add($"its special ids are pad {PadId}, bos {BosId}, eos {EosId} but the tokenizer's are pad {t.PadId}, bos {t.BosId}, eos {t.EosId}");
        if (t.VocabSize > VocabSize) problems.Add($"the tokenizer produces ids up to {t.VocabSize - 1} but the vocabulary has {VocabSize}");
        if (problems.Count > 0)
            throw new ConfigException($"{where}: model '{Name}' does not match tokenizer '{t.Name}': {string.Join("; ", problems)} (build the model with ModelConfig.ForTokenizer)");
    }

    // ---- derived sizes ----
    [JsonIgnore] public int AttentionWidth => Heads * HeadDim;   // qkv_embd
    [JsonIgnore] public int KvWidth => KvHeads * HeadDim;
    [JsonIgnore] public int GroupSize => KvHeads == 0 ? 0 : Heads / KvHeads;
    [JsonIgnore] public int TotalLayers => EncoderLayers + DecoderLayers;
    [JsonIgnore] public bool IsEncoderDecoder => Architecture == Architecture.EncoderDecoder;

    /// <summary>All problems with this configuration, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        void Need(bool ok, string msg) { if (!ok) p.Add(msg); }
        Need(DModel > 0, $"DModel must be positive (got {DModel})");
        Need(Heads > 0, $"Heads must be positive (got {Heads})");
        Need(KvHeads > 0, $"KvHeads must be positive (got {KvHeads})");
        Need(KvHeads <= 0 || Heads % KvHeads == 0, $"Heads ({Heads}) must be divisible by KvHeads ({KvHeads})");
        Need(HeadDim > 0 && HeadDim % 2 == 0, $"HeadDim must be positive and even for RoPE (got {HeadDim})");
        Need(MlpHidden > 0, $"MlpHidden must be positive (got {MlpHidden})");
        Need(VocabSize > 0, $"VocabSize must be positive (got {VocabSize})");
        Need(BlockSize > 0, $"BlockSize must be positive (got {BlockSize})");
        Need(DecoderLayers > 0, $"DecoderLayers must be positive (got {DecoderLayers})");
        Need(EncoderLayers >= 0, $"EncoderLayers must not be negative (got {EncoderLayers})");
        Need(Architecture != Architecture.EncoderDecoder || EncoderLayers > 0,
            $"EncoderLayers must be positive for an encoder-decoder (got {EncoderLayers})");
        Need(Architecture != Architecture.DecoderOnly || EncoderLayers == 0,
            $"EncoderLayers must be 0 for a decoder-only model (got {EncoderLayers})");
        Need(Dropout >= 0 && Dropout < 1, $"Dropout must be in [0, 1) (got {Dropout})");
        Need(RopeTheta > 0, $"RopeTheta must be positive (got {RopeTheta})");
        Need(RopeFactor >= 1, $"RopeFactor must be at least 1 (got {RopeFactor})");
        Need(NormEps > 0, $"NormEps must be positive (got {NormEps})");
        foreach (var (name, id) in new[] { ("PadId", PadId), ("BosId", BosId), ("EosId", EosId) })
            Need(id >= 0 && id < Math.Max(VocabSize, 1), $"{name} must be a token id below VocabSize {VocabSize} (got {id})");
        return p;
    }

    /// <summary>Returns this configuration, or throws <see cref="ConfigException"/> listing every problem.</summary>
    public ModelConfig Validate()
    {
        var p = Problems();
        if (p.Count > 0)
            throw new ConfigException($"invalid model config '{Name}': " + string.Join("; ", p));
        return this;
    }

    // ---- JSON (config.json beside a checkpoint) and overrides: Runtime.JsonRecords ----

    public string ToJson() => Runtime.JsonRecords.ToJson(this);

    /// <summary>Reads a config written by <see cref="ToJson"/>; unknown keys are errors.</summary>
    public static ModelConfig FromJson(string json, string source = "config") =>
        Runtime.JsonRecords.FromJson<ModelConfig>(json, source, m => new ConfigException(m)).Validate();

    public static ModelConfig Load(string path) => FromJson(File.ReadAllText(path), path);

    /// <summary>Applies <c>key=value</c> overrides ("d_model=256,heads=4" from the CLI and scripts;
    /// snake_case or PascalCase keys). An unknown key is an error that lists the known ones.</summary>
    public ModelConfig WithOverrides(IEnumerable<KeyValuePair<string, string>> overrides) =>
        Runtime.JsonRecords.WithOverrides(this, overrides, (j, s) => FromJson(j, s), m => new ConfigException(m));

    /// <summary>Parses "a=1,b=2" into pairs.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ParseOverrides(string text) =>
        Runtime.JsonRecords.ParseOverrides(text, m => new ConfigException(m));
}
