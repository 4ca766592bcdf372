using NotebookSlm.Tokenization;

namespace NotebookSlm.Data;

/// <summary>A tokenized (source, target) pair; the target ends in EOS unless truncation cut it.</summary>
public sealed record TokenizedPair(int[] Source, int[] Target);

/// <summary>How examples become batches.</summary>
public sealed record BatchingOptions
{
    public int BatchSize { get; init; } = 16;
    /// <summary>Paper 3.3: maximum input and output lengths 1024 and 256.</summary>
    public int MaxSourceLength { get; init; } = 1024;
    public int MaxTargetLength { get; init; } = 256;
    /// <summary>Examples are sorted by length within pools of this many batches, so a batch
    /// holds similar lengths and pads little; 1 turns bucketing off.</summary>
    public int BucketBatches { get; init; } = 50;
    public bool Shuffle { get; init; } = true;
    public int Seed { get; init; }
    public bool DropLast { get; init; }

    public BatchingOptions Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1 (got {BatchSize})");
        if (MaxSourceLength < 1 || MaxTargetLength < 1) throw new ArgumentException($"maximum lengths must be positive (got {MaxSourceLength}, {MaxTargetLength})");
        if (BucketBatches < 1) throw new ArgumentException($"BucketBatches must be at least 1 (got {BucketBatches})");
        return this;
    }
}

/// <summary>Tokenization of text pairs, length-bucketed batching and padding to the batch maximum.</summary>
public static class Batching
{
    /// <summary>
    /// As the released data pipeline does: the source as encoded, the target with EOS
    /// appended; both truncated to their maximum lengths. A source that fits is the encoding
    /// of the whole string. A longer one loses the end of its content, never its task cue
    /// (<see cref="TextPair.Cue"/>): the cue's tokens stay whole at the end, and the source is
    /// then exactly <paramref name="maxSource"/> long. Pairs without a cue, and targets,
    /// are cut on the right.
    /// </summary>
    /// <exception cref="ArgumentException">The source does not end with its cue, or the cue
    /// alone is longer than <paramref name="maxSource"/> tokens.</exception>
    public static TokenizedPair Tokenize(TextPair pair, ITokenizer tokenizer, int maxSource = 1024, int maxTarget = 256)
    {
        var source = tokenizer.Encode(pair.Source);
        var target = tokenizer.Encode(pair.Target).Append(tokenizer.EosId).ToArray();
        if (source.Length == 0) source = [tokenizer.EosId];     // an empty source still needs one position
        if (source.Length > maxSource) source = TruncateKeepingCue(pair, source, tokenizer, maxSource);
        return new TokenizedPair(source, target.Length > maxTarget ? target[..maxTarget] : target);
    }

    /// <summary>The first tokens of the content, then the cue's tokens: maxSource in all.</summary>
    static int[] TruncateKeepingCue(TextPair pair, int[] source, ITokenizer tokenizer, int maxSource)
    {
        if (string.IsNullOrEmpty(pair.Cue)) return source[..maxSource];
        if (!pair.Source.EndsWith(pair.Cue, StringComparison.Ordinal))
            throw new ArgumentException($"pair {pair.Id ?? "(no id)"}: the source does not end with its cue {Quote(pair.Cue)}");
        int[] head, cue;
        int k = CueTokenCount(source, pair.Cue, tokenizer);
        if (k > 0) (head, cue) = (source, source[^k..]);
        else
        {
            // The cue does not start on a token boundary of the whole encoding: encode it on
            // its own (SentencePiece-style tokenizers then prepend a word-start piece).
            head = tokenizer.Encode(pair.Source[..^pair.Cue.Length]);
            cue = tokenizer.Encode(pair.Cue);
        }
        if (cue.Length > maxSource)
            throw new ArgumentException($"pair {pair.Id ?? "(no id)"}: the cue {Quote(pair.Cue)} takes {cue.Length} tokens, more than the {maxSource} the source may have");
        return [.. head.AsSpan(0, Math.Min(head.Length, maxSource - cue.Length)), .. cue];
    }

    /// <summary>How many final tokens of the whole encoding spell exactly the cue (the tokens
    /// the model sees at the end of every source that fits, so truncated sources end the same
    /// way); 0 when no suffix does.</summary>
    static int CueTokenCount(int[] source, string cue, ITokenizer tokenizer)
    {
        // Every token spells at least one byte, and one more may be a word-start marker.
        int most = Math.Min(source.Length, System.Text.Encoding.UTF8.GetByteCount(cue) + 1);
        for (int k = 1; k <= most; k++)
            if (tokenizer.Decode(source[^k..]) == cue) return k;
        return 0;
    }

    static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>
    /// One epoch of batches: a seeded shuffle, then within each pool of BucketBatches batches
    /// a sort by source then target length, cut into batches whose order is shuffled again.
    /// Every example appears once (the last batch may be short unless DropLast). The order
    /// depends only on the data, the options and the epoch (its random stream is
    /// <see cref="Shuffling.DeriveSeed"/>(Seed, epoch)), so every process that resumes a
    /// run sees the same batches.
    /// </summary>
    public static IEnumerable<IReadOnlyList<TokenizedPair>> Epoch(IReadOnlyList<TokenizedPair> data, BatchingOptions o, int epoch = 0)
    {
        o.Validate();
        var order = Enumerable.Range(0, data.Count).ToList();
        var rng = new Random(Shuffling.DeriveSeed(o.Seed, epoch));
        if (o.Shuffle) order = Shuffling.Shuffle(order, rng.Next());
        int pool = o.BatchSize * o.BucketBatches;
        var batches = new List<IReadOnlyList<TokenizedPair>>();
        for (int start = 0; start < order.Count; start += pool)
        {
            var chunk = order.Skip(start).Take(pool).Select(i => data[i]);
            if (o.BucketBatches > 1) chunk = chunk.OrderBy(p => p.Source.Length).ThenBy(p => p.Target.Length);
            var sorted = chunk.ToList();
            for (int b = 0; b < sorted.Count; b += o.BatchSize)
            {
                var batch = sorted.Skip(b).Take(o.BatchSize).ToList();
                if (batch.Count < o.BatchSize && o.DropLast) continue;
                batches.Add(batch);
            }
        }
        return o.Shuffle ? Shuffling.Shuffle(batches, rng.Next()) : batches;
    }

    /// <summary>Share of padding in the batches' source and target tensors (what bucketing saves).</summary>
    public static double PaddingFraction(IEnumerable<IReadOnlyList<TokenizedPair>> batches)
    {
        long real = 0, total = 0;
        foreach (var b in batches)
        {
            int s = b.Max(p => p.Source.Length), t = b.Max(p => p.Target.Length);
            real += b.Sum(p => (long)p.Source.Length + p.Target.Length);
            total += (long)b.Count * (s + t);
        }
        return total == 0 ? 0 : 1.0 - real / (double)total;
    }
}
