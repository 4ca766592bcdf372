using NotebookSlm.Tokenization;

namespace NotebookSlm.Data;

/// <summary>
/// Pretraining examples as the paper makes them (3.3): documents are tokenized, joined with
/// EOS between them, cut into chunks of T5's raw length for the chosen input length, and
/// each chunk is span-corrupted. Seeded: the same documents and seed give the same examples
/// in every process (one System.Random from the seed draws every chunk's spans in order; no
/// hash-derived seed). A run that wants another stream per shard or epoch passes
/// <see cref="Shuffling.DeriveSeed"/>(seed, shard, ...) as the seed.
/// </summary>
public static class PretrainingExamples
{
    public static IEnumerable<TokenizedPair> SpanCorrupted(IEnumerable<string> documents, ITokenizer tokenizer, int inputLength,
        int seed, SpanCorruption? corruption = null)
    {
        corruption ??= new SpanCorruption();
        int raw = corruption.LengthsFor(inputLength).Raw;
        var rng = new Random(seed);
        var buffer = new List<int>(raw * 2);
        foreach (var doc in documents)
        {
            buffer.AddRange(tokenizer.Encode(doc));
            buffer.Add(tokenizer.EosId);
            while (buffer.Count >= raw)
            {
                var chunk = buffer.GetRange(0, raw);
                buffer.RemoveRange(0, raw);
                var ex = corruption.Corrupt(chunk, tokenizer.SentinelId, tokenizer.EosId, rng);
                yield return new TokenizedPair(ex.Input, ex.Target);
            }
        }
    }
}
