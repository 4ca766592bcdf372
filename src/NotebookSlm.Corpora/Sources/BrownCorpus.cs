using System.Text;

namespace NotebookSlm.Corpora;

/// <summary>
/// The Brown corpus in form C (word/TAG tokens, one sentence a line) back to running text.
/// A line starting with a tab opens a paragraph, a line without one continues it, a line whose
/// every tag carries "-hl" is a headline and stands alone. Tokens are joined by
/// <see cref="Detokenise"/>: `` and '' become straight double quotes, punctuation attaches to
/// the word before it, opening brackets and quotes to the word after it.
/// </summary>
public static class BrownCorpus
{
    /// <summary>Whether a file name is a Brown text (c + genre letter a-r + two digits),
    /// not CONTENTS, README, cats.txt or the category pickle.</summary>
    public static bool IsTextFile(string name) =>
        name.Length == 4 && name[0] == 'c' && name[1] is >= 'a' and <= 'r' && char.IsAsciiDigit(name[2]) && char.IsAsciiDigit(name[3]);

    /// <summary>The paragraphs of one Brown file; <paramref name="file"/> names it in errors.</summary>
    public static List<string> Paragraphs(string text, string file)
    {
        var paragraphs = new List<string>();
        var words = new List<string>();
        void Flush()
        {
            if (words.Count > 0) paragraphs.Add(Detokenise(words));
            words.Clear();
        }

        long lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var tokens = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var lineWords = new List<string>(tokens.Length);
            bool headline = true;
            foreach (var token in tokens)
            {
                int slash = token.LastIndexOf('/');
                if (slash <= 0 || slash == token.Length - 1)
                    throw new DataFormatException(file, lineNo, "token", $"expected word/TAG, got '{token}'");
                lineWords.Add(token[..slash]);
                headline &= token.AsSpan(slash + 1).EndsWith("-hl", StringComparison.Ordinal);
            }
            if (headline)
            {
                Flush();
                paragraphs.Add(Detokenise(lineWords));
                continue;
            }
            if (line[0] == '\t') Flush();
            words.AddRange(lineWords);
        }
        Flush();
        return paragraphs;
    }

    /// <summary>Joins Brown tokens into natural text: ``/'' to '"', paired single quotes
    /// (` or the first ' opens, the next ' closes), no space before , . ; : ? ! ) ] or after
    /// ( [, and a sentence period after an abbreviation's period is dropped ("Jr. ." to "Jr.").</summary>
    public static string Detokenise(IEnumerable<string> tokens)
    {
        var sb = new StringBuilder();
        bool glueNext = true, singleOpen = false;
        foreach (var token in tokens)
        {
            string text = token;
            bool attachLeft = false, attachRight = false;
            switch (token)
            {
                case "``": text = "\""; attachRight = true; break;
                case "''": text = "\""; attachLeft = true; break;
                case "`": text = "'"; attachRight = true; singleOpen = true; break;
                case "'":
                    if (singleOpen) attachLeft = true; else attachRight = true;
                    singleOpen = !singleOpen;
                    break;
                case "," or ";" or ":" or "?" or "!" or ")" or "]" or "}": attachLeft = true; break;
                case ".":
                    if (sb.Length > 0 && sb[^1] == '.') continue;
                    attachLeft = true;
                    break;
                case "(" or "[" or "{": attachRight = true; break;
            }
            if (!attachLeft && !glueNext) sb.Append(' ');
            sb.Append(text);
            glueNext = attachRight;
        }
        return sb.ToString();
    }
}
