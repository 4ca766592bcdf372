using System.Net;
using System.Text;

namespace NotebookSlm.Corpora;

/// <summary>
/// The documentation comments (/** ... */) of a Java source file as plain paragraphs: for each
/// comment, the declaration it documents (one line, up to its body, initialiser or ';') and the
/// comment rendered the way the javadoc tool shows it. Leading '*' gutters are removed; inline
/// tags resolve to their text ({@code x} and {@literal x} to x, {@link Foo#bar(int) label} to
/// label or Foo.bar(int), {@inheritDoc} and {@docRoot} to nothing); block tags become labelled
/// paragraphs ("Parameters: index - ...", "Returns: ...", "Throws: ...", "See also: A, B",
/// "Since: 1.2"); @author, @version, @serial and similar bookkeeping tags are dropped. The
/// remaining HTML goes through <see cref="HtmlText"/>, so &lt;p&gt;, lists and &lt;pre&gt; keep their breaks.
/// </summary>
public static class JavadocText
{
    static readonly Dictionary<string, string> BlockLabels = new(StringComparer.Ordinal)
    {
        ["param"] = "Parameters", ["return"] = "Returns", ["throws"] = "Throws", ["exception"] = "Throws",
        ["since"] = "Since", ["deprecated"] = "Deprecated", ["apiNote"] = "API Note",
        ["implSpec"] = "Implementation Requirements", ["implNote"] = "Implementation Note",
        ["provides"] = "Provides", ["uses"] = "Uses", ["see"] = "See also",
    };

    /// <summary>Paragraphs of every documentation comment in <paramref name="source"/>, in file order.</summary>
    public static List<string> Paragraphs(string source)
    {
        var paragraphs = new List<string>();
        int i = 0;
        while (true)
        {
            int open = source.IndexOf("/**", i, StringComparison.Ordinal);
            if (open < 0) break;
            if (open + 3 < source.Length && source[open + 3] == '/') { i = open + 4; continue; }   // "/**/" is an empty plain comment
            int close = source.IndexOf("*/", open + 3, StringComparison.Ordinal);
            if (close < 0) break;
            i = close + 2;
            var comment = Comment(source[(open + 3)..close]);
            if (comment.Count == 0) continue;
            var declaration = Declaration(source, i);
            if (declaration.Length > 0) paragraphs.Add(declaration);
            paragraphs.AddRange(comment);
        }
        return paragraphs;
    }

    /// <summary>The text paragraphs of one comment body (between "/**" and "*/").</summary>
    public static List<string> Comment(string body)
    {
        var main = new StringBuilder();
        var tags = new List<(string Name, StringBuilder Text)>();
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.TrimEnd('\r').TrimStart();
            while (line.StartsWith('*')) line = line[1..];
            if (line.StartsWith(' ')) line = line[1..];
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith('@') && trimmed.Length > 1 && char.IsAsciiLetter(trimmed[1]))
            {
                int end = 1;
                while (end < trimmed.Length && char.IsAsciiLetter(trimmed[end])) end++;
                tags.Add((trimmed[1..end], new StringBuilder(trimmed[end..].Trim())));
                continue;
            }
            (tags.Count > 0 ? tags[^1].Text : main).Append(line).Append('\n');
        }

        var html = new StringBuilder(Inline(main.ToString()));
        var seeAlso = new List<string>();
        foreach (var (name, text) in tags)
        {
            if (!BlockLabels.TryGetValue(name, out var label)) continue;
            var content = text.ToString().Trim();
            if (name == "see") { seeAlso.Add(Inline(content.StartsWith('<') || content.StartsWith('"') ? content : "{@link " + content + "}")); continue; }
            if (name is "param" or "throws" or "exception")
            {
                int sp = content.IndexOfAny([' ', '\t', '\n']);
                var head = sp < 0 ? content : content[..sp];
                var rest = sp < 0 ? "" : content[(sp + 1)..].Trim();
                content = WebUtility.HtmlEncode(head.Trim('<', '>')) + (rest.Length > 0 ? " - " + Inline(rest) : "");
            }
            else content = Inline(content);
            if (content.Length > 0) html.Append("<p>").Append(label).Append(": ").Append(content).Append("</p>");
        }
        if (seeAlso.Count > 0) html.Append("<p>See also: ").Append(string.Join(", ", seeAlso)).Append("</p>");
        return HtmlText.Paragraphs(html.ToString());
    }

    /// <summary>Resolves inline tags ({@code ...}, {@link ...}) to HTML text; brace-balanced, nested tags resolved.</summary>
    public static string Inline(string text)
    {
        if (!text.Contains("{@", StringComparison.Ordinal)) return text;
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            int start = text.IndexOf("{@", i, StringComparison.Ordinal);
            if (start < 0) { sb.Append(text, i, text.Length - i); break; }
            sb.Append(text, i, start - i);
            int depth = 0, end = start;
            for (; end < text.Length; end++)
            {
                if (text[end] == '{') depth++;
                else if (text[end] == '}' && --depth == 0) break;
            }
            if (end >= text.Length) { sb.Append(text, start, text.Length - start); break; }
            var inner = text[(start + 2)..end];
            int nameEnd = 0;
            while (nameEnd < inner.Length && char.IsAsciiLetter(inner[nameEnd])) nameEnd++;
            var name = inner[..nameEnd];
            var content = inner[nameEnd..];
            if (content.StartsWith(' ') || content.StartsWith('\n')) content = content[1..];
            sb.Append(name switch
            {
                "code" or "literal" => WebUtility.HtmlEncode(content),
                "link" or "linkplain" or "value" => LinkText(content),
                "docRoot" or "inheritDoc" => "",
                "index" => WebUtility.HtmlEncode(IndexTerm(content)),
                "return" => "Returns " + Inline(content),
                _ => Inline(content),   // summary, systemProperty and unknown tags keep their text
            });
            i = end + 1;
        }
        return sb.ToString();
    }

    /// <summary>{@link ref label}: the label if given, else the reference as Foo.bar(int).</summary>
    static string LinkText(string content)
    {
        content = content.Trim();
        int depth = 0, split = -1;
        for (int k = 0; k < content.Length && split < 0; k++)
        {
            if (content[k] == '(') depth++;
            else if (content[k] == ')') depth--;
            else if (char.IsWhiteSpace(content[k]) && depth == 0) split = k;
        }
        if (split > 0) return Inline(content[(split + 1)..].Trim());
        var reference = content.StartsWith('#') ? content[1..] : content.Replace('#', '.');
        return WebUtility.HtmlEncode(reference);
    }

    static string IndexTerm(string content)
    {
        content = content.Trim();
        if (content.StartsWith('"'))
        {
            int q = content.IndexOf('"', 1);
            return q > 0 ? content[1..q] : content.Trim('"');
        }
        int sp = content.IndexOf(' ');
        return sp < 0 ? content : content[..sp];
    }

    /// <summary>The declaration after a comment: the source from <paramref name="from"/> to the first
    /// '{', ';', '=' or comment, whitespace collapsed; empty when longer than 300 characters.</summary>
    static string Declaration(string source, int from)
    {
        var sb = new StringBuilder();
        int depth = 0;
        for (int end = from; end < source.Length && sb.Length <= 600; end++)
        {
            char ch = source[end];
            if (ch == '/' && end + 1 < source.Length && source[end + 1] == '/')
            {
                int eol = source.IndexOf('\n', end);
                if (eol < 0) break;
                end = eol;
                sb.Append(' ');
                continue;
            }
            if (ch == '/' && end + 1 < source.Length && source[end + 1] == '*') break;
            if (ch == '(') depth++;
            else if (ch == ')') depth--;
            else if (ch is '{' or ';' || (ch == '=' && depth == 0)) break;
            sb.Append(ch);
        }
        var text = string.Join(' ', sb.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= 300 ? text : "";
    }
}
