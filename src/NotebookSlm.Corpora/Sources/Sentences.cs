using System.Text;

namespace NotebookSlm.Corpora;

/// <summary>
/// The one sentence splitter of the corpus recipes, for English prose (State of the Union
/// addresses, man pages, manuals). A sentence ends at '.', '!' or '?' (optionally followed by closing
/// quotes or brackets) when whitespace and an upper-case letter, digit or opening quote
/// follow, unless the word before the period is a known abbreviation ("Mr.", "U.S.", "e.g.")
/// or a single letter (an initial). Deliberately simple: it is used to cut at sentence
/// boundaries and to pick cloze sentences, where an occasional missed boundary only makes a
/// sentence longer.
/// </summary>
public static class Sentences
{
    static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "col", "capt", "lt", "sgt", "maj", "adm", "gov",
        "sen", "rep", "hon", "rev", "prof", "messrs", "no", "nos", "vs", "etc", "e.g", "i.e", "cf", "al",
        "approx", "fig", "vol", "art", "sec", "ch", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
        "sept", "oct", "nov", "dec", "co", "inc", "ltd", "corp", "mt", "ft", "u.s", "u.s.a", "viz", "ibid",
    };

    /// <summary>The sentences of <paramref name="text"/> as (start, length) spans into it,
    /// trimmed of surrounding whitespace; their concatenation covers every non-space character.</summary>
    public static List<(int Start, int Length)> Spans(string text)
    {
        var spans = new List<(int, int)>();
        int start = SkipSpace(text, 0);
        for (int i = start; i < text.Length; i++)
        {
            char c = text[i];
            if (c is not ('.' or '!' or '?')) continue;
            int end = i + 1;
            while (end < text.Length && text[end] is '"' or '\'' or ')' or ']' or '\u201d' or '\u2019') end++;
            if (end >= text.Length || !char.IsWhiteSpace(text[end])) continue;
            int next = SkipSpace(text, end);
            if (next >= text.Length) break;
            char n = text[next];
            if (!(char.IsUpper(n) || char.IsDigit(n) || n is '"' or '\u201c' or '(' or '\'' or '\u2018')) continue;
            if (c == '.' && IsAbbreviation(text, i)) continue;
            spans.Add((start, end - start));
            start = next;
            i = next - 1;
        }
        if (start < text.Length)
        {
            int end = text.Length;
            while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
            if (end > start) spans.Add((start, end - start));
        }
        return spans;
    }

    /// <summary>The sentences of <paramref name="text"/> as strings.</summary>
    public static List<string> Split(string text) => Spans(text).Select(s => text.Substring(s.Start, s.Length)).ToList();

    /// <summary>
    /// Cuts running text without paragraph breaks (a State of the Union address is one line
    /// of ~8,000 words) into paragraphs of whole sentences, so that paragraph-level
    /// deduplication and decontamination strip a passage, not a speech: whitespace runs become
    /// single spaces, and a paragraph closes at the first sentence end after it reaches
    /// <paramref name="minWords"/> words (the last one may be shorter). Only where the breaks
    /// fall depends on the splitter; the words and their order are unchanged.
    /// </summary>
    public static List<string> Paragraphs(string text, int minWords = 150)
    {
        if (minWords < 1) throw new ArgumentOutOfRangeException(nameof(minWords), minWords, "at least one word per paragraph");
        var collapsed = Collapse(text);
        var paragraphs = new List<string>();
        int start = -1, end = 0, words = 0;
        foreach (var (s, length) in Spans(collapsed))
        {
            if (start < 0) start = s;
            end = s + length;
            words += DataFormats.Words(collapsed.Substring(s, length));
            if (words >= minWords)
            {
                paragraphs.Add(collapsed[start..end]);
                start = -1;
                words = 0;
            }
        }
        if (start >= 0) paragraphs.Add(collapsed[start..end]);
        return paragraphs;
    }


    /// <summary>Collapses every run of whitespace (including no-break spaces) to one space and trims.</summary>
    public static string Collapse(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The opening of a text given as paragraphs: whole paragraphs while they fit under
    /// <paramref name="maxWords"/>, then whole sentences of the next paragraph, stopping as
    /// soon as <paramref name="minWords"/> is reached. Always holds at least one sentence, so
    /// a first sentence longer than maxWords is kept whole. Paragraphs are joined by a blank line.
    /// </summary>
    public static string Opening(IReadOnlyList<string> paragraphs, int minWords, int maxWords)
    {
        var kept = new List<string>();
        int words = 0;
        foreach (var paragraph in paragraphs)
        {
            if (words >= minWords) break;
            int w = DataFormats.Words(paragraph);
            if (words + w <= maxWords) { kept.Add(paragraph); words += w; continue; }
            var part = new StringBuilder();
            foreach (var sentence in Split(paragraph))
            {
                int sw = DataFormats.Words(sentence);
                if (words >= minWords || (words + sw > maxWords && (words > 0 || part.Length > 0))) break;
                if (part.Length > 0) part.Append(' ');
                part.Append(sentence);
                words += sw;
            }
            if (part.Length > 0) kept.Add(part.ToString());
            break;
        }
        return string.Join("\n\n", kept);
    }

    /// <summary>Consecutive sentences grouped until each group has at least minWords words;
    /// a short tail joins the last group.</summary>
    public static List<string> Group(string text, int minWords)
    {
        var groups = new List<List<string>>();
        var current = new List<string>();
        int words = 0;
        foreach (var s in Split(text))
        {
            current.Add(s);
            words += DataFormats.Words(s);
            if (words >= minWords) { groups.Add(current); current = []; words = 0; }
        }
        if (current.Count > 0)
        {
            if (groups.Count > 0 && words < minWords / 2) groups[^1].AddRange(current);
            else groups.Add(current);
        }
        return groups.Select(g => string.Join(' ', g)).ToList();
    }

    static int SkipSpace(string s, int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        return i;
    }

    static bool IsAbbreviation(string text, int period)
    {
        int b = period;
        while (b > 0 && (char.IsLetter(text[b - 1]) || text[b - 1] == '.')) b--;
        if (b == period) return false;
        var word = text[b..period];
        if (word.Length == 1 && char.IsUpper(word[0])) return true;            // an initial: "J. Smith"
        if (word.Length <= 3 && word.All(ch => char.IsUpper(ch) || ch == '.') && word.Contains('.')) return true; // "U.S"
        return Abbreviations.Contains(word);
    }
}
