using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookSlm.Reporting;

/// <summary>
/// The paper's numbers, typed once in <c>Assets/Paper/paper.json</c> (embedded in this
/// assembly), each with the table or section it comes from. Benchmarks take their default
/// protocol from it, and the README, the notebooks and the results renderers print it beside
/// ours; ratios the paper states in prose (3.8x, 29%, ...) are derived from its Table 2, never
/// typed again.
/// </summary>
public static class Paper
{
    public sealed record Table2Row(string Platform, string Hardware, string Architecture, double FirstTokenMs, double TokensPerS);

    public sealed record Table2Claims(string Source, string ModelSize, int InputTokens, int OutputTokens, int Examples, IReadOnlyList<Table2Row> Rows)
    {
        public Table2Row Row(string platform, string architecture) =>
            Rows.FirstOrDefault(r => r.Platform == platform && r.Architecture == architecture)
            ?? throw new ArgumentException($"the paper's Table 2 has no {architecture} row on {platform} (platforms: GPU, CPU, NPU)");

        /// <summary>Decode throughput of the encoder-decoder over the decoder-only's (CPU: 15.3 / 4.0).</summary>
        public double ThroughputRatio(string platform) => Row(platform, "EncoderDecoder").TokensPerS / Row(platform, "DecoderOnly").TokensPerS;

        /// <summary>How much lower the encoder-decoder's first-token latency is (CPU: 1 - 1591 / 2242).</summary>
        public double FirstTokenReduction(string platform) => 1 - Row(platform, "EncoderDecoder").FirstTokenMs / Row(platform, "DecoderOnly").FirstTokenMs;
    }

    public sealed record Range(string Source, double Low, double High, int InputTokens, int Batch);
    public sealed record Share(string Source, double Value, int InputTokens, int OutputTokens);
    public sealed record Hours(string Source, double EncoderDecoder, double DecoderOnly)
    {
        public double Share => EncoderDecoder / DecoderOnly;
    }

    /// <summary>One row of Table 1: ROUGE-L (Rl) and Ragas-GPT (Rg) per task, as fractions.</summary>
    public sealed record Table1Row(string Group, string Model, double SquadRl, double SquadRg, double IeltsRl, double IeltsRg,
        double CodexRl, double CodexRg, double XsumRl, double XsumRg, double AverageRl, double AverageRg)
    {
        /// <summary>ROUGE-L on the paper's task that a local task stands in for.</summary>
        public double RougeL(string localTask) => localTask switch
        {
            "qa-local" => SquadRl, "essay-local" => IeltsRl, "code-local" => CodexRl, "sum-local" => XsumRl,
            _ => throw new ArgumentException($"no paper task for '{localTask}' (qa-local, essay-local, code-local, sum-local)"),
        };
    }

    public sealed record Table1Claims(string Source, string ModelSize, IReadOnlyList<Table1Row> Rows)
    {
        public Table1Row Row(string group, string model) =>
            Rows.FirstOrDefault(r => r.Group == group && r.Model == model)
            ?? throw new ArgumentException($"the paper's Table 1 has no row '{model}' in group '{group}'");
    }

    sealed record Claims(string Title, Table1Claims Table1, Table2Claims Table2, Range MemorySaving, Share GenerationFlopsShare, Share TrainingFlopsShare,
        Share TrainingFlopsGap, Hours PretrainingHours);

    static readonly Claims claims = Load();

    static Claims Load()
    {
        using var stream = typeof(Paper).Assembly.GetManifestResourceStream("Paper/paper.json")
            ?? throw new InvalidOperationException("NotebookSlm.dll lacks its embedded Paper/paper.json");
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };
        return JsonSerializer.Deserialize<Claims>(stream, options) ?? throw new InvalidDataException("Paper/paper.json is empty");
    }

    public static string Title => claims.Title;
    /// <summary>Table 1: downstream ROUGE-L and Ragas-GPT of the 330M variants, Seq2Seq and KD.</summary>
    public static Table1Claims Table1 => claims.Table1;
    /// <summary>Table 2: first-token latency and decode throughput per platform, with its protocol.</summary>
    public static Table2Claims Table2 => claims.Table2;
    /// <summary>11-16% less inference memory at input 4096, batch 32.</summary>
    public static Range MemorySaving => claims.MemorySaving;
    /// <summary>78% of the decoder-only's FLOPs to generate 256 tokens (after 4096 input tokens).</summary>
    public static Share GenerationFlopsShare => claims.GenerationFlopsShare;
    /// <summary>42% of the training FLOPs at 1024-token inputs.</summary>
    public static Share TrainingFlopsShare => claims.TrainingFlopsShare;
    /// <summary>A 3.2x training-FLOPs gap at 4096-token inputs.</summary>
    public static Share TrainingFlopsGap => claims.TrainingFlopsGap;
    /// <summary>Pretraining wall time: 250 h against 350 h (71%).</summary>
    public static Hours PretrainingHours => claims.PretrainingHours;
}
