using System.Text;

namespace NotebookSlm.Corpora;

public enum JavaTokenKind { Identifier, Keyword, Number, String, Char, TextBlock, Operator, Unknown }

/// <summary>A Java token: its text, the 1-based line it starts on, and whether whitespace or a
/// comment came before it (rendering puts one space there, as CodeXGLUE's one-line layout does).</summary>
public sealed record JavaToken(JavaTokenKind Kind, string Text, int Line, bool SpaceBefore);

/// <summary>
/// A Java tokenizer (JLS chapter 3) sufficient for the JDK sources: identifiers and keywords,
/// numeric literals (decimal, hex, octal, binary, underscores, suffixes, exponents), string,
/// char and text-block literals with escapes kept verbatim, the operators and separators, and
/// comments dropped. A character outside the grammar (e.g. a \u escape outside a literal)
/// becomes an Unknown token, which the translator refuses.
/// </summary>
public static class JavaLexer
{
    /// <summary>The index of the bracket closing the one at <paramref name="open"/> ((, [ or {),
    /// counting only operator tokens; -1 when it is never closed.</summary>
    public static int MatchBracket<T>(IReadOnlyList<T> t, int open, Func<T, string> text, Func<T, JavaTokenKind> kind)
    {
        string o = text(t[open]), c = o == "(" ? ")" : o == "[" ? "]" : "}";
        int depth = 0;
        for (int k = open; k < t.Count; k++)
        {
            if (kind(t[k]) != JavaTokenKind.Operator) continue;
            if (text(t[k]) == o) depth++;
            else if (text(t[k]) == c && --depth == 0) return k;
        }
        return -1;
    }

    public static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const", "continue", "default",
        "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if", "implements", "import",
        "instanceof", "int", "interface", "long", "native", "new", "package", "private", "protected", "public", "return",
        "short", "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try",
        "void", "volatile", "while", "true", "false", "null",
    };

    static readonly string[] Operators =
    [
        ">>>=", "<<=", ">>=", ">>>", "...", "->", "::", "++", "--", "&&", "||", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=",
        "%=", "&=", "|=", "^=", "<<", ">>",
    ];

    /// <summary>Tokenizes Java source; an unterminated comment or literal raises a
    /// DataFormatException naming the file and line.</summary>
    public static List<JavaToken> Lex(string src, string file)
    {
        var tokens = new List<JavaToken>(src.Length / 4);
        int i = 0, line = 1;
        bool space = false;
        while (i < src.Length)
        {
            char c = src[i];
            if (c == '\n') { line++; i++; space = true; continue; }
            if (char.IsWhiteSpace(c) || c == '\uFEFF') { i++; space = true; continue; }
            if (c == '/' && i + 1 < src.Length && src[i + 1] == '/')
            {
                while (i < src.Length && src[i] != '\n') i++;
                space = true;
                continue;
            }
            if (c == '/' && i + 1 < src.Length && src[i + 1] == '*')
            {
                int end = src.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0) throw new DataFormatException(file, line, "comment", "unterminated /* comment");
                line += Count(src, i, end, '\n');
                i = end + 2;
                space = true;
                continue;
            }
            int start = i, startLine = line;
            JavaTokenKind kind;
            if (char.IsLetter(c) || c == '_' || c == '$')
            {
                while (i < src.Length && (char.IsLetterOrDigit(src[i]) || src[i] == '_' || src[i] == '$')) i++;
                kind = Keywords.Contains(src[start..i]) ? JavaTokenKind.Keyword : JavaTokenKind.Identifier;
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < src.Length && char.IsAsciiDigit(src[i + 1])))
            {
                i = NumberEnd(src, i);
                kind = JavaTokenKind.Number;
            }
            else if (c == '"' && string.CompareOrdinal(src, i, "\"\"\"", 0, 3) == 0)
            {
                int end = src.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                while (end > 0 && src[end - 1] == '\\') end = src.IndexOf("\"\"\"", end + 1, StringComparison.Ordinal);
                if (end < 0) throw new DataFormatException(file, line, "text block", "unterminated text block");
                line += Count(src, i, end, '\n');
                i = end + 3;
                kind = JavaTokenKind.TextBlock;
            }
            else if (c is '"' or '\'')
            {
                i++;
                while (i < src.Length && src[i] != c && src[i] != '\n') i += src[i] == '\\' ? 2 : 1;
                if (i >= src.Length || src[i] != c) throw new DataFormatException(file, line, c == '"' ? "string" : "char", "unterminated literal");
                i++;
                kind = c == '"' ? JavaTokenKind.String : JavaTokenKind.Char;
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(src, i, o, 0, o.Length) == 0);
                i += op?.Length ?? 1;
                kind = op is not null || "(){}[];,.@=><!~?:+-*/&|^%".IndexOf(c) >= 0 ? JavaTokenKind.Operator : JavaTokenKind.Unknown;
            }
            tokens.Add(new JavaToken(kind, src[start..i], startLine, space));
            space = false;
        }
        return tokens;
    }

    /// <summary>Tokens as one line: a single space wherever the source had whitespace or a comment.</summary>
    public static string Render(IEnumerable<JavaToken> tokens)
    {
        var sb = new StringBuilder();
        foreach (var t in tokens)
        {
            if (t.SpaceBefore && sb.Length > 0) sb.Append(' ');
            sb.Append(t.Kind == JavaTokenKind.TextBlock ? t.Text.Replace('\n', ' ') : t.Text);
        }
        return sb.ToString();
    }

    static int NumberEnd(string s, int i)
    {
        bool hex = s[i] == '0' && i + 1 < s.Length && s[i + 1] is 'x' or 'X';
        bool dot = false;
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                i++;
                if ((!hex && c is 'e' or 'E') || (hex && c is 'p' or 'P'))
                    if (i < s.Length && s[i] is '+' or '-') i++;
                continue;
            }
            if (c == '.' && !dot && !hex && !(i + 1 < s.Length && (s[i + 1] == '.' || (char.IsLetter(s[i + 1]) && "eEfFdD".IndexOf(s[i + 1]) < 0))))
            {
                dot = true;
                i++;
                continue;
            }
            if (c == '.' && hex && !dot) { dot = true; i++; continue; }
            break;
        }
        return i;
    }

    static int Count(string s, int from, int to, char c)
    {
        int n = 0;
        for (int k = from; k < to; k++) if (s[k] == c) n++;
        return n;
    }
}
