using NotebookSlm.Models;
using NotebookSlm.Reporting;

namespace NotebookSlm.Accounting;

/// <summary>
/// Exact parameter counts by component, from the configuration alone (closed form).
/// Tests hold these against the parameters a built model actually has.
/// </summary>
public sealed record ParameterCounts(
    long Embedding,
    long LmHead,
    long EncoderSelfAttention,
    long EncoderMlp,
    long EncoderNorms,
    long DecoderSelfAttention,
    long CrossAttention,
    long DecoderMlp,
    long DecoderNorms,
    long FinalNorms)
{
    public long Encoder => EncoderSelfAttention + EncoderMlp + EncoderNorms;
    public long Decoder => DecoderSelfAttention + CrossAttention + DecoderMlp + DecoderNorms;
    public long Mlp => EncoderMlp + DecoderMlp;
    public long Total => Embedding + LmHead + Encoder + Decoder + FinalNorms;
    /// <summary>Parameters read by matrix multiplies per token (everything but embeddings and norms),
    /// the usual 2N-FLOPs-per-token count.</summary>
    public long NonEmbedding => Total - Embedding - LmHead;

    /// <summary>One row per preset: shape and total parameters (`slm presets`, the README's preset table).</summary>
    public static Table PresetTable(IEnumerable<ModelConfig> configs)
    {
        var table = new Table("preset", "architecture", "enc", "dec", "d_model", "heads/kv", "mlp", "parameters");
        foreach (var c in configs)
            table.Add(c.Name, c.IsEncoderDecoder ? "encoder-decoder" : "decoder-only", c.EncoderLayers, c.DecoderLayers,
                c.DModel, $"{c.Heads}/{c.KvHeads}", c.MlpHidden, Table.Count(Of(c).Total));
        return table;
    }

    /// <summary>Component name to count, in the order the CLI prints them.</summary>
    public IReadOnlyList<(string Name, long Count)> ByComponent() =>
    [
        ("embedding", Embedding), ("lm_head", LmHead),
        ("encoder_self_attention", EncoderSelfAttention), ("encoder_mlp", EncoderMlp), ("encoder_norms", EncoderNorms),
        ("decoder_self_attention", DecoderSelfAttention), ("cross_attention", CrossAttention),
        ("decoder_mlp", DecoderMlp), ("decoder_norms", DecoderNorms), ("final_norms", FinalNorms),
    ];

    /// <summary>q, k, v and out projections of one attention layer.</summary>
    public static long Attention(ModelConfig c)
    {
        long d = c.DModel, a = c.AttentionWidth, kv = c.KvWidth;
        long weights = d * a + 2 * d * kv + a * d;
        long biases = c.Bias ? a + 2 * kv + d : 0;
        return weights + biases;
    }

    public static long MlpLayer(ModelConfig c)
    {
        long d = c.DModel, m = c.MlpHidden;
        return c.Mlp switch
        {
            MlpKind.GeluTanh => 2 * d * m + (c.Bias ? m + d : 0),
            MlpKind.SwiGlu => 3 * d * m + (c.Bias ? 2 * m + d : 0),
            _ => throw new ArgumentOutOfRangeException(nameof(c)),
        };
    }

    public static ParameterCounts Of(ModelConfig c)
    {
        long d = c.DModel, e = c.EncoderLayers, l = c.DecoderLayers;
        long attn = Attention(c), mlp = MlpLayer(c);
        bool ed = c.IsEncoderDecoder;
        return new ParameterCounts(
            Embedding: (long)c.VocabSize * d,
            LmHead: c.TiedEmbeddings ? 0 : (long)c.VocabSize * d,
            EncoderSelfAttention: e * attn,
            EncoderMlp: e * mlp,
            EncoderNorms: e * 2 * d,
            DecoderSelfAttention: l * attn,
            CrossAttention: ed ? l * attn : 0,
            DecoderMlp: l * mlp,
            DecoderNorms: l * (ed ? 3 : 2) * d,
            FinalNorms: (ed ? 2 : 1) * d);
    }
}
