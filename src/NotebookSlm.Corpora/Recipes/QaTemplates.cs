using System.Text;
using System.Text.RegularExpressions;

namespace NotebookSlm.Corpora;

/// <summary>A question a template made from a paragraph: its answer is the span
/// [Start, Start + Answer.Length) of that paragraph's context. Anchor identifies the
/// glossary entry or sentence it came from, so two picked questions never share one.</summary>
public sealed record QaCandidate(string Template, string Question, string Answer, int Start, int Anchor);

/// <summary>
/// The question templates of qa-local. Every question is made by a fixed rule from real
/// text, and every answer is a span of the context, copied verbatim:
/// <list type="bullet">
/// <item>wn-def: over a glossary paragraph of WordNet entries ("lemma, synonym: definition."),
/// "What is defined as "&lt;definition&gt;"?" -> the entry's first lemma;</item>
/// <item>wn-mean: "What does "&lt;lemma&gt;" mean?" -> the entry's definition;</item>
/// <item>man-cloze / sotu-cloze: a sentence of the paragraph with one span blanked out,
/// "Which &lt;kind&gt; fills the blank: "... _____ ..."?" -> the span, where the kind is a year, a
/// number, a capitalised name (after a lower-case word, so not a sentence or entry opening), or in man pages a
/// command-line option or the page's command name. The span must occur once in its sentence.</item>
/// </list>
/// </summary>
public static partial class QaTemplates
{
    public const string Blank = "_____";

    /// <summary>Capitalised words that start clauses (after a colon, in titles) rather than names.</summary>
    static readonly HashSet<string> FunctionWords = new(StringComparer.Ordinal)
    {
        "A", "An", "The", "In", "On", "At", "By", "To", "Of", "For", "With", "From", "As", "And", "But", "Or", "Nor",
        "So", "Yet", "If", "When", "While", "This", "That", "These", "Those", "It", "Its", "We", "Our", "You", "Your",
        "He", "She", "They", "Their", "There", "Here", "My", "What", "Who", "How", "Why", "No", "Not", "All", "Let",
        "See", "Note", "Use", "Each", "Every", "Some", "Any", "Such", "Then", "Thus", "Also", "Only", "Now",
    };

    /// <summary>A glossary paragraph of synsets and its wn-def / wn-mean candidates. An entry
    /// whose first lemma is also another entry's first lemma gets no candidates (ambiguous).</summary>
    public static (string Context, List<QaCandidate> Candidates) Glossary(IReadOnlyList<Synset> synsets)
    {
        var sb = new StringBuilder();
        var found = new List<QaCandidate>();
        var firstLemmas = synsets.GroupBy(s => s.Lemmas[0], StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1)
            .Select(g => g.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (int k = 0; k < synsets.Count; k++)
        {
            var s = synsets[k];
            if (sb.Length > 0) sb.Append(' ');
            int lemmaStart = sb.Length;
            sb.Append(string.Join(", ", s.Lemmas.Take(3))).Append(": ");
            int defStart = sb.Length;
            sb.Append(s.Definition).Append('.');
            if (firstLemmas.Contains(s.Lemmas[0])) continue;
            found.Add(new QaCandidate("wn-def", $"What is defined as \"{s.Definition}\"?", s.Lemmas[0], lemmaStart, k));
            found.Add(new QaCandidate("wn-mean", $"What does \"{s.Lemmas[0]}\" mean?", s.Definition, defStart, k));
        }
        return (sb.ToString(), found);
    }

    /// <summary>
    /// Cloze candidates over the sentences of a paragraph: sentences of 6-40 words that end in
    /// '.', '!' or '?', are mostly words and do not open with an option ("-v Print ..."). <paramref name="command"/> (a man page's name)
    /// and <paramref name="options"/> enable the man-page kinds.
    /// </summary>
    public static List<QaCandidate> Cloze(string context, string template, string? command, bool options)
    {
        var found = new List<QaCandidate>();
        var spans = Sentences.Spans(context);
        for (int si = 0; si < spans.Count; si++)
        {
            var (start, length) = spans[si];
            var sentence = context.Substring(start, length);
            if (!IsProse(sentence)) continue;
            foreach (var (kind, at, len) in Answers(sentence, command, options))
            {
                var answer = sentence.Substring(at, len);
                if (sentence.IndexOf(answer, StringComparison.Ordinal) != sentence.LastIndexOf(answer, StringComparison.Ordinal)) continue;
                var blanked = sentence[..at] + Blank + sentence[(at + len)..];
                found.Add(new QaCandidate(template, $"Which {kind} fills the blank: \"{blanked}\"?", answer, start + at, si));
            }
        }
        return found;
    }

    static bool IsProse(string sentence)
    {
        var words = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is < 6 or > 40 || words[0].StartsWith('-')) return false;   // option-list entries: "-v Print ..."
        var end = sentence.TrimEnd('"', '\'', ')', '\u201d', '\u2019');
        if (end.Length == 0 || end[^1] is not ('.' or '!' or '?')) return false;
        int wordy = words.Count(w => w.Any(char.IsLetter) && w.All(c => char.IsLetter(c) || c is '-' or '\'' or ',' or '.' or ';' or ':' or '"' or '(' or ')' or '\u2019'));
        return wordy >= 0.6 * words.Length;
    }

    /// <summary>Answer spans (kind, offset, length) in a sentence, left to right.</summary>
    static IEnumerable<(string Kind, int At, int Length)> Answers(string sentence, string? command, bool options)
    {
        var matches = Token().Matches(sentence);
        var tokens = matches.Select(m => Core(m)).ToList();
        for (int t = 0; t < tokens.Count; t++)
        {
            var (at, len) = tokens[t];
            if (len == 0) continue;
            var core = sentence.Substring(at, len);
            if (Year().IsMatch(core)) yield return ("year", at, len);
            else if (Number().IsMatch(core)) yield return ("number", at, len);
            else if (options && Option().IsMatch(core)) yield return ("option", at, len);
            else if (command is not null && core == command && t > 0) yield return ("command", at, len);
            else if (t > 0 && Capitalised().IsMatch(core) && !FunctionWords.Contains(core) && LowerWord().IsMatch(matches[t - 1].Value))
            {
                int last = t;
                while (last + 1 < tokens.Count && tokens[last + 1].Length > 0
                       && tokens[last + 1].At == tokens[last].At + tokens[last].Length + 1
                       && sentence[tokens[last + 1].At - 1] == ' '
                       && Capitalised().IsMatch(sentence.Substring(tokens[last + 1].At, tokens[last + 1].Length))) last++;
                yield return ("name", at, tokens[last].At + tokens[last].Length - at);
                t = last;
            }
        }
    }

    /// <summary>A whitespace token without the punctuation around it, as (offset, length).</summary>
    static (int At, int Length) Core(Match m)
    {
        int a = m.Index, b = m.Index + m.Length;
        while (a < b && "\"'([\u201c\u2018".IndexOf(m.Value[a - m.Index]) >= 0) a++;
        while (b > a && ".,;:!?\"')]\u201d\u2019".IndexOf(m.Value[b - 1 - m.Index]) >= 0) b--;
        return (a, b - a);
    }

    [GeneratedRegex(@"\S+")] private static partial Regex Token();
    [GeneratedRegex(@"^(1[6-9]|20)\d\d$")] private static partial Regex Year();
    [GeneratedRegex(@"^(\d{1,3}(,\d{3})+|\d+(\.\d+)?)$")] private static partial Regex Number();
    [GeneratedRegex(@"^--?[A-Za-z][A-Za-z0-9-]*$")] private static partial Regex Option();
    [GeneratedRegex(@"^[A-Z][a-z]+$")] private static partial Regex Capitalised();
    [GeneratedRegex(@"^[a-z][a-z'-]*,?$")] private static partial Regex LowerWord();
}
