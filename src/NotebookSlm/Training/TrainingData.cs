using NotebookSlm.Data;
using NotebookSlm.Tokenization;

namespace NotebookSlm.Training;

/// <summary>
/// The examples each objective trains on, as plain token pairs (paper 3.3). Pretraining for
/// both architectures starts from the same token stream (documents tokenized and joined with
/// EOS) cut into chunks of T5's raw length for <see cref="TrainingConfig.InputLength"/>, so
/// that both read the same tokens: the encoder-decoder and the prefix LM see each chunk
/// span-corrupted, the causal LM sees it whole.
/// </summary>
public static class TrainingData
{
    /// <summary>Pretraining pairs for <paramref name="config"/>'s objective.</summary>
    public static List<TokenizedPair> Pretraining(IEnumerable<string> documents, ITokenizer tokenizer, TrainingConfig config)
    {
        var corruption = new SpanCorruption(config.NoiseDensity, config.MeanSpanLength);
        return config.Objective switch
        {
            Objective.SpanCorruption or Objective.PrefixLm =>
                PretrainingExamples.SpanCorrupted(documents, tokenizer, config.InputLength, config.Seed, corruption).ToList(),
            Objective.CausalLm => Causal(documents, tokenizer, corruption.LengthsFor(config.InputLength).Raw).ToList(),
            _ => throw new ArgumentException($"objective {config.Objective} is not a pretraining objective; fine-tuning reads task pairs"),
        };
    }

    /// <summary>
    /// Causal LM chunks of <paramref name="length"/> tokens as pairs: the first token as the
    /// source and the rest as the target, so that the decoder-only model's seq2seq loss is the
    /// next-token loss at every position of the chunk but the first (the chunk is exactly the
    /// sequence it reads).
    /// </summary>
    public static IEnumerable<TokenizedPair> Causal(IEnumerable<string> documents, ITokenizer tokenizer, int length)
    {
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), length, "a causal chunk needs at least 2 tokens");
        var buffer = new List<int>(length * 2);
        foreach (var doc in documents)
        {
            buffer.AddRange(tokenizer.Encode(doc));
            buffer.Add(tokenizer.EosId);
            while (buffer.Count >= length)
            {
                var chunk = buffer.GetRange(0, length).ToArray();
                buffer.RemoveRange(0, length);
                yield return new TokenizedPair(chunk[..1], chunk[1..]);
            }
        }
    }

    /// <summary>Fine-tuning pairs: each text pair tokenized with the target ending in EOS,
    /// truncated to the configured lengths.</summary>
    public static List<TokenizedPair> FineTuning(IEnumerable<TextPair> pairs, ITokenizer tokenizer, TrainingConfig config) =>
        pairs.Select(p => Batching.Tokenize(p, tokenizer, config.MaxSourceLength, config.MaxTargetLength)).ToList();

    /// <summary>Real (unpadded) source and target tokens of a set of pairs.</summary>
    public static (long Source, long Target) Tokens(IEnumerable<TokenizedPair> pairs)
    {
        long s = 0, t = 0;
        foreach (var p in pairs) { s += p.Source.Length; t += p.Target.Length; }
        return (s, t);
    }
}
