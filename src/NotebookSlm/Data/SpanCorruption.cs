namespace NotebookSlm.Data;

/// <summary>A corrupted example: the input with sentinels where spans were, and the target
/// listing each sentinel followed by the span it replaced; both end in EOS.</summary>
public sealed record CorruptedExample(int[] Input, int[] Target, int NoiseTokens, int Spans);

/// <summary>The raw chunk length that corrupts into a given input length, and the target length it yields.</summary>
public readonly record struct SpanLengths(int Raw, int Target);

/// <summary>
/// T5's span corruption (Raffel et al. 2020, used for pretraining in paper 3.3): a fraction
/// <c>noise density</c> (0.15) of the tokens, in spans of mean length 3, is removed from the
/// input and replaced by one sentinel per span; the target lists each sentinel followed by
/// its span. Span lengths come from T5's random segmentation, and
/// <see cref="LengthsFor"/> is T5's <c>compute_input_and_target_lengths</c>, so that chunks
/// of the returned raw length corrupt into exactly the fixed input and target lengths.
/// A decoder-only model reads the same example as a prefix (input) to continue (target).
/// </summary>
public sealed class SpanCorruption(double noiseDensity = 0.15, double meanSpanLength = 3.0)
{
    public double NoiseDensity { get; } = noiseDensity is > 0 and < 1 ? noiseDensity
        : throw new ArgumentOutOfRangeException(nameof(noiseDensity), $"noise density must be in (0, 1), got {noiseDensity}");
    public double MeanSpanLength { get; } = meanSpanLength >= 1 ? meanSpanLength
        : throw new ArgumentOutOfRangeException(nameof(meanSpanLength), $"mean span length must be at least 1, got {meanSpanLength}");

    /// <summary>
    /// How many tokens of a <paramref name="length"/>-token input are noise, and in how many
    /// spans. As T5: round(length x density) noise tokens, at least 1 and at most length - 1,
    /// in round(noise / mean span length) spans, at least 1. Each span follows a kept span and
    /// holds at least one token, so there are at most min(noise, length - noise) spans: a
    /// short dense input gets fewer (T5 would segment the kept tokens into empty spans). An
    /// input under 2 tokens cannot hold a kept and a noise span: (0, 0), no corruption.
    /// </summary>
    /// <remarks>The cap never binds at the default 0.15 / 3, whose spans number about a
    /// third of the noise and a seventeenth of the kept tokens, so those outputs equal T5's.</remarks>
    public (int NoiseTokens, int Spans) Counts(int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"length must not be negative, got {length}");
        if (length < 2) return (0, 0);
        int noise = (int)Math.Round(length * NoiseDensity, MidpointRounding.ToEven);
        noise = Math.Min(Math.Max(noise, 1), length - 1);
        int spans = Math.Max((int)Math.Round(noise / MeanSpanLength, MidpointRounding.ToEven), 1);
        return (noise, Math.Min(spans, Math.Min(noise, length - noise)));
    }

    /// <summary>
    /// T5's length arithmetic: the raw chunk length whose corruption fits an input of
    /// <paramref name="inputLength"/> tokens (kept tokens + one sentinel per span + EOS), and
    /// the target length that chunk then produces (noise tokens + sentinels + EOS).
    /// </summary>
    public SpanLengths LengthsFor(int inputLength)
    {
        (int Input, int Target) Sizes(int tokens)
        {
            int noise = (int)Math.Round(tokens * NoiseDensity, MidpointRounding.ToEven);
            int spans = (int)Math.Round(noise / MeanSpanLength, MidpointRounding.ToEven);
            return (tokens - noise + spans + 1, noise + spans + 1);
        }
        int raw = inputLength - 1;
        while (Sizes(raw + 1).Input <= inputLength) raw++;
        return new SpanLengths(raw, Sizes(raw).Target);
    }

    /// <summary>The noise mask of T5's <c>random_spans_noise_mask</c>: alternating kept and
    /// noise spans, starting with a kept span, with random span lengths of the totals that
    /// <see cref="Counts"/> gives. Under 2 tokens the mask is all kept.</summary>
    public bool[] NoiseMask(int length, Random rng)
    {
        var (noise, spans) = Counts(length);
        if (spans == 0) return new bool[length];
        var noiseLengths = Segment(noise, spans, rng);
        var keptLengths = Segment(length - noise, spans, rng);
        var mask = new bool[length];
        int pos = 0;
        for (int s = 0; s < spans; s++)
        {
            pos += keptLengths[s];
            for (int k = 0; k < noiseLengths[s]; k++) mask[pos++] = true;
        }
        return mask;
    }

    /// <summary>Splits <paramref name="items"/> into <paramref name="segments"/> non-empty
    /// segments at random (T5's <c>_random_segmentation</c>); <see cref="Counts"/> keeps
    /// segments within 1..items.</summary>
    static int[] Segment(int items, int segments, Random rng)
    {
        System.Diagnostics.Debug.Assert(segments >= 1 && segments <= items, $"{segments} segments of {items} items");
        // Choose segments - 1 cut points among the items - 1 gaps.
        var gaps = Enumerable.Range(1, items - 1).ToArray();
        for (int i = 0; i < segments - 1; i++)
        {
            int j = rng.Next(i, gaps.Length);
            (gaps[i], gaps[j]) = (gaps[j], gaps[i]);
        }
        var cuts = gaps.Take(segments - 1).Order().ToArray();
        var lengths = new int[segments];
        int prev = 0;
        for (int i = 0; i < cuts.Length; i++) { lengths[i] = cuts[i] - prev; prev = cuts[i]; }
        lengths[^1] = items - prev;
        return lengths;
    }

    /// <summary>Corrupts <paramref name="tokens"/>; <paramref name="sentinel"/> maps span
    /// index i to the sentinel id <c>&lt;extra_id_i&gt;</c>. Noise and span counts are
    /// <see cref="Counts"/>'s; an input under 2 tokens comes back uncorrupted (input = tokens
    /// and EOS, target = EOS alone, no spans), which <see cref="Merge"/> still inverts.</summary>
    public CorruptedExample Corrupt(IReadOnlyList<int> tokens, Func<int, int> sentinel, int eosId, Random rng)
    {
        var mask = NoiseMask(tokens.Count, rng);
        var input = new List<int>(tokens.Count);
        var target = new List<int>(tokens.Count / 4);
        int span = -1, noise = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (mask[i])
            {
                noise++;
                if (i == 0 || !mask[i - 1])
                {
                    span++;
                    input.Add(sentinel(span));
                    target.Add(sentinel(span));
                }
                target.Add(tokens[i]);
            }
            else input.Add(tokens[i]);
        }
        input.Add(eosId);
        target.Add(eosId);
        return new CorruptedExample(input.ToArray(), target.ToArray(), noise, span + 1);
    }

    /// <summary>Puts the spans of the target back in place of the sentinels in the input:
    /// the original tokens. <paramref name="isSentinel"/> recognises sentinel ids.</summary>
    public static int[] Merge(IReadOnlyList<int> input, IReadOnlyList<int> target, Func<int, bool> isSentinel, int eosId)
    {
        var spans = new Dictionary<int, List<int>>();
        List<int>? current = null;
        foreach (var t in target)
        {
            if (t == eosId) break;
            if (isSentinel(t)) spans[t] = current = [];
            else (current ?? throw new ArgumentException("target does not start with a sentinel")).Add(t);
        }
        var merged = new List<int>();
        foreach (var t in input)
        {
            if (t == eosId) break;
            if (isSentinel(t)) merged.AddRange(spans.TryGetValue(t, out var s) ? s : throw new ArgumentException($"sentinel {t} has no span in the target"));
            else merged.Add(t);
        }
        return merged.ToArray();
    }
}
