namespace NotebookSlm.Data;

/// <summary>What <see cref="Dedup.Apply"/> did to one document: the document to keep (null
/// when it was a duplicate of an earlier one) and how many paragraphs and words it lost.</summary>
public sealed record DedupResult(SourceDocument? Kept, bool DuplicateDocument, int ParagraphsRemoved, int WordsRemoved);

/// <summary>
/// Exact deduplication by a 64-bit hash of normalised text (lowercased, whitespace runs
/// collapsed to one space, trimmed), keeping the first occurrence in the order documents are
/// offered. Two levels: a document whose whole text was seen before is dropped; within a new
/// document, a paragraph of at least <see cref="MinParagraphWords"/> words seen before (in an
/// earlier document or earlier in the same one) is dropped. Shorter paragraphs (headings,
/// "Note", one-line code) are always kept, so structure survives while repeated boilerplate
/// (licence notices, shared option descriptions, colophons) goes. Memory: two HashSet&lt;ulong&gt;;
/// with ~10^6 paragraphs a 64-bit collision is about 3e-8 likely.
/// </summary>
public sealed class Dedup(int minParagraphWords = Dedup.DefaultMinParagraphWords)
{
    public const int DefaultMinParagraphWords = 10;
    readonly HashSet<ulong> documents = [];
    readonly HashSet<ulong> paragraphs = [];

    public int MinParagraphWords { get; } = minParagraphWords;
    /// <summary>Distinct documents and paragraphs registered so far.</summary>
    public int DocumentCount => documents.Count;
    public int ParagraphCount => paragraphs.Count;

    /// <summary>Registers <paramref name="doc"/> and returns it without its repeated paragraphs,
    /// or with Kept null when its whole text is a repeat.</summary>
    public DedupResult Apply(SourceDocument doc)
    {
        if (!documents.Add(Hash(doc.Text)))
            return new DedupResult(null, true, doc.Paragraphs.Count, doc.Words);
        List<string>? kept = null;
        int removedParagraphs = 0, removedWords = 0;
        for (int i = 0; i < doc.Paragraphs.Count; i++)
        {
            var p = doc.Paragraphs[i];
            int words = DataFormats.Words(p);
            bool duplicate = words >= MinParagraphWords && !paragraphs.Add(Hash(p));
            if (duplicate)
            {
                kept ??= doc.Paragraphs.Take(i).ToList();
                removedParagraphs++;
                removedWords += words;
            }
            else kept?.Add(p);
        }
        return new DedupResult(kept is null ? doc : doc with { Paragraphs = kept }, false, removedParagraphs, removedWords);
    }

    /// <summary>The normalised form the hash is taken of: lowercased (invariant), whitespace
    /// runs as one space, no leading or trailing space.</summary>
    public static string Normalise(string text) => string.Join(' ', text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>64-bit hash of <see cref="Normalise"/>(text), computed in one pass without
    /// building the normalised string. Stable across runs and machines.</summary>
    public static ulong Hash(string text)
    {
        ulong h = StableHash.Seed;
        bool pendingSpace = false, any = false;
        foreach (var ch in text)
        {
            if (char.IsWhiteSpace(ch)) { pendingSpace = any; continue; }
            if (pendingSpace) { h = StableHash.Add(h, ' '); pendingSpace = false; }
            h = StableHash.Add(h, char.ToLowerInvariant(ch));
            any = true;
        }
        return StableHash.Mix(h);
    }
}

/// <summary>FNV-1a over UTF-16 code units with a final 64-bit avalanche (MurmurHash3 fmix64):
/// fast, allocation-free and the same on every machine, unlike string.GetHashCode.</summary>
public static class StableHash
{
    public const ulong Seed = 14695981039346656037UL;
    const ulong Prime = 1099511628211UL;

    public static ulong Add(ulong h, char ch)
    {
        h = (h ^ (byte)ch) * Prime;
        return (h ^ (byte)(ch >> 8)) * Prime;
    }

    public static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        return h ^ (h >> 33);
    }
}
