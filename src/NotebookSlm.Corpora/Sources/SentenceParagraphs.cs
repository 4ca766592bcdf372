using System.Text;

namespace NotebookSlm.Corpora;

/// <summary>
/// Cuts running text without paragraph breaks (a State of the Union address is one line of
/// ~8,000 words) into paragraphs of whole sentences, each at least <c>minWords</c> words, so
/// that paragraph-level deduplication and decontamination strip a passage, not a speech.
/// A sentence ends at . ! or ? (after any closing quotes or brackets) followed by whitespace
/// and an upper-case letter, digit or opening quote, unless the word ending there is a title
/// or other abbreviation (Mr., Gen., etc.) or a run of initials (U.S., D.C.). Only where the
/// breaks fall depends on this; the words and their order are unchanged.
/// </summary>
public static class SentenceParagraphs
{
    static readonly HashSet<string> Abbreviations = new(StringComparer.Ordinal)
    {
        "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Jr.", "Sr.", "Gen.", "Gov.", "Sen.", "Rep.", "Hon.", "Rev.", "Col.", "Capt.",
        "Lt.", "Maj.", "Adm.", "Prof.", "No.", "Nos.", "Art.", "Vol.", "vs.", "etc.", "viz.", "Messrs.", "Co.", "Inc.", "Ltd.",
        "Jan.", "Feb.", "Mar.", "Apr.", "Aug.", "Sept.", "Sep.", "Oct.", "Nov.", "Dec.", "i.e.", "e.g.",
    };

    /// <summary>The paragraphs of <paramref name="text"/>: whitespace runs become single spaces,
    /// and a paragraph closes at the first sentence end after it reaches <paramref name="minWords"/>
    /// words (the last one may be shorter).</summary>
    public static List<string> Split(string text, int minWords = 150)
    {
        if (minWords < 1) throw new ArgumentOutOfRangeException(nameof(minWords), minWords, "at least one word per paragraph");
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var paragraphs = new List<string>();
        var sb = new StringBuilder();
        int count = 0;
        for (int i = 0; i < words.Length; i++)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(words[i]);
            count++;
            if (count >= minWords && i + 1 < words.Length && EndsSentence(words[i], words[i + 1]))
            {
                paragraphs.Add(sb.ToString());
                sb.Clear();
                count = 0;
            }
        }
        if (sb.Length > 0) paragraphs.Add(sb.ToString());
        return paragraphs;
    }

    /// <summary>Whether a sentence ends after <paramref name="word"/> when <paramref name="next"/> follows.</summary>
    public static bool EndsSentence(string word, string next)
    {
        int end = word.Length - 1;
        while (end >= 0 && word[end] is '"' or '\'' or ')' or ']' or '\u201d' or '\u2019') end--;
        if (end < 0 || word[end] is not ('.' or '!' or '?')) return false;
        char first = next[0] is '"' or '\'' or '(' or '\u201c' or '\u2018' && next.Length > 1 ? next[1] : next[0];
        if (!char.IsUpper(first) && !char.IsDigit(first)) return false;
        if (word[end] != '.' || end + 1 != word.Length) return true;
        if (Abbreviations.Contains(word)) return false;
        return !IsInitials(word);
    }

    /// <summary>"U.S.", "D.C.", "J.": single letters each followed by a period.</summary>
    static bool IsInitials(string word)
    {
        if (word.Length < 2 || word.Length % 2 != 0) return false;
        for (int k = 0; k < word.Length; k += 2)
            if (!char.IsLetter(word[k]) || word[k + 1] != '.') return false;
        return true;
    }
}
