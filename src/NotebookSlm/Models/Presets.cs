using NotebookSlm.Accounting;

namespace NotebookSlm.Models;

/// <summary>
/// Named configurations, after the paper's rows. Split names give the encoder's share of
/// layers: <c>EncDec2_3</c> is the paper's "2/3-1/3" (two thirds of the layers in the encoder).
/// </summary>
/// <remarks>
/// Parameter parity (paper 3.1): the split study keeps d_model 768, 6 query / 3 KV heads of
/// 64 and 44 layers for every encoder-decoder (48 for the decoder-only), as the paper states;
/// the paper does not give widths, so the MLP width of each variant is solved
/// (<see cref="SolveMlp"/>) to land on 330M, which absorbs the cross-attention that
/// encoder-heavy splits lack. The 500M and 1B rungs follow the same recipe around a 2/3-1/3
/// encoder-decoder with an MLP of 4 x d_model.
/// </remarks>
public static class Presets
{
    /// <summary>Phi-3.5 vocabulary padded to a multiple of 64, as released.</summary>
    public const int PhiVocab = 32128;

    static ModelConfig Paper(string name, Architecture arch, int enc, int dec, int d, int heads, int kvHeads, int mlp) =>
        new ModelConfig
        {
            Name = name, Architecture = arch, EncoderLayers = enc, DecoderLayers = dec,
            DModel = d, Heads = heads, KvHeads = kvHeads, HeadDim = 64, MlpHidden = mlp,
            VocabSize = PhiVocab, BlockSize = 1024, Dropout = 0.1,
        }.Validate();

    /// <summary>The MLP width (a multiple of 64) that brings <paramref name="shape"/> closest to
    /// <paramref name="targetParameters"/>.</summary>
    public static ModelConfig SolveMlp(ModelConfig shape, long targetParameters)
    {
        var perMlpUnit = ParameterCounts.Of(shape with { MlpHidden = 65 }).Total - ParameterCounts.Of(shape with { MlpHidden = 64 }).Total;
        var at64 = ParameterCounts.Of(shape with { MlpHidden = 64 }).Total;
        long units = (long)Math.Round((targetParameters - at64) / (double)perMlpUnit / 64.0);
        int mlp = (int)Math.Max(64, 64 + units * 64);
        return (shape with { MlpHidden = mlp }).Validate();
    }

    public static class Paper330M
    {
        public const long Target = 330_000_000;

        /// <summary>The authors' released text model (MuConfig): 20 + 10 layers, d 1024,
        /// attention width 384 (6 x 64, 3 KV heads), MLP 4096, biases, tanh-GELU.</summary>
        public static readonly ModelConfig Released =
            Paper("330m-released", Architecture.EncoderDecoder, 20, 10, 1024, 6, 3, 4096);

        static ModelConfig Split(string name, int enc, int dec) =>
            SolveMlp(Paper(name, Architecture.EncoderDecoder, enc, dec, 768, 6, 3, 3072), Target);

        /// <summary>1/3-2/3: 12 encoder + 32 decoder layers.</summary>
        public static readonly ModelConfig EncDec1_3 = Split("330m-encdec-1_3", 12, 32);
        /// <summary>1/2-1/2: 22 + 22.</summary>
        public static readonly ModelConfig EncDec1_2 = Split("330m-encdec-1_2", 22, 22);
        /// <summary>2/3-1/3: 32 + 12, the paper's best split.</summary>
        public static readonly ModelConfig EncDec2_3 = Split("330m-encdec-2_3", 32, 12);
        /// <summary>48-layer decoder-only baseline.</summary>
        public static readonly ModelConfig DecoderOnly =
            SolveMlp(Paper("330m-deconly", Architecture.DecoderOnly, 0, 48, 768, 6, 3, 3072), Target);
    }

    public static class Paper500M
    {
        public static readonly ModelConfig EncDec2_3 = Paper("500m-encdec-2_3", Architecture.EncoderDecoder, 24, 12, 1152, 8, 4, 4608);
        public static readonly ModelConfig DecoderOnly =
            SolveMlp(Paper("500m-deconly", Architecture.DecoderOnly, 0, 40, 1152, 8, 4, 4608), ParameterCounts.Of(EncDec2_3).Total);
    }

    public static class Paper1B
    {
        public static readonly ModelConfig EncDec2_3 = Paper("1b-encdec-2_3", Architecture.EncoderDecoder, 32, 16, 1408, 12, 6, 5632);
        public static readonly ModelConfig DecoderOnly =
            SolveMlp(Paper("1b-deconly", Architecture.DecoderOnly, 0, 52, 1408, 12, 6, 5632), ParameterCounts.Of(EncDec2_3).Total);
    }

    /// <summary>The 330M family shrunk for CPU experiments (a few million parameters): same
    /// ratios of layers, heads of 64, GQA 2:1, parity solved the same way.</summary>
    public static class Tiny
    {
        public const int Vocab = 8192;
        static ModelConfig Shape(string name, Architecture arch, int enc, int dec) => new ModelConfig
        {
            Name = name, Architecture = arch, EncoderLayers = enc, DecoderLayers = dec,
            DModel = 256, Heads = 4, KvHeads = 2, HeadDim = 64, MlpHidden = 1024,
            VocabSize = Vocab, BlockSize = 512, Dropout = 0.0,
        }.Validate();

        public static readonly ModelConfig EncDec2_3 = Shape("tiny-encdec-2_3", Architecture.EncoderDecoder, 4, 2);
        static readonly long Target = ParameterCounts.Of(EncDec2_3).Total;
        public static readonly ModelConfig EncDec1_2 = SolveMlp(Shape("tiny-encdec-1_2", Architecture.EncoderDecoder, 3, 3), Target);
        public static readonly ModelConfig EncDec1_3 = SolveMlp(Shape("tiny-encdec-1_3", Architecture.EncoderDecoder, 2, 4), Target);
        public static readonly ModelConfig DecoderOnly = SolveMlp(Shape("tiny-deconly", Architecture.DecoderOnly, 0, 7), Target);
    }

    /// <summary>Smallest useful models, for unit tests: milliseconds per forward.</summary>
    public static class Micro
    {
        public static readonly ModelConfig EncDec = new ModelConfig
        {
            Name = "micro-encdec", Architecture = Architecture.EncoderDecoder, EncoderLayers = 2, DecoderLayers = 2,
            DModel = 32, Heads = 4, KvHeads = 2, HeadDim = 8, MlpHidden = 64, VocabSize = 384, BlockSize = 64, Dropout = 0.0,
        }.Validate();
        public static readonly ModelConfig DecoderOnly = EncDec with { Name = "micro-deconly", Architecture = Architecture.DecoderOnly, EncoderLayers = 0, DecoderLayers = 3 };
    }

    /// <summary>Every preset by its name.</summary>
    public static IReadOnlyList<ModelConfig> All { get; } =
    [
        Paper330M.Released, Paper330M.EncDec1_3, Paper330M.EncDec1_2, Paper330M.EncDec2_3, Paper330M.DecoderOnly,
        Paper500M.EncDec2_3, Paper500M.DecoderOnly, Paper1B.EncDec2_3, Paper1B.DecoderOnly,
        Tiny.EncDec2_3, Tiny.EncDec1_2, Tiny.EncDec1_3, Tiny.DecoderOnly, Micro.EncDec, Micro.DecoderOnly,
    ];

    public static ModelConfig Get(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ConfigException($"unknown preset '{name}'; known presets: {string.Join(", ", All.Select(c => c.Name))}");
}
