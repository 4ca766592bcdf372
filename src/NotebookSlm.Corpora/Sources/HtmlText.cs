using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace NotebookSlm.Corpora;

/// <summary>An HTML start tag as <see cref="HtmlText"/> sees it: its name and the attributes
/// that select page regions (id, class, role).</summary>
public sealed record HtmlTag(string Name, string? Id, string? Class, string? Role)
{
    /// <summary>Whether the class attribute lists <paramref name="name"/> (whitespace-separated).</summary>
    public bool HasClass(string name)
    {
        if (Class is null) return false;
        foreach (var c in Class.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
            if (string.Equals(c, name, StringComparison.Ordinal)) return true;
        return false;
    }
}

/// <summary>
/// HTML to plain paragraphs without a DOM: a single forward scan over tags and text that
/// keeps paragraph breaks (block elements end a paragraph, <c>br</c> and table rows end a
/// line), keeps <c>pre</c> blocks line by line, decodes entities, drops script/style and
/// comments, and lets the caller pick the content region (<c>root</c>) and drop navigation
/// and boilerplate elements with everything inside them (<c>skip</c>). Tolerates unclosed
/// <c>p</c>/<c>li</c> (a close tag pops to its nearest matching open tag). No paragraph
/// contains a blank line, so "\n\n" can join and split them losslessly.
/// </summary>
public static partial class HtmlText
{
    static readonly HashSet<string> Void = new(StringComparer.Ordinal)
        { "br", "hr", "img", "meta", "link", "input", "wbr", "area", "base", "col", "embed", "source", "track", "param" };
    static readonly HashSet<string> Block = new(StringComparer.Ordinal)
    {
        "p", "div", "section", "article", "aside", "header", "footer", "nav", "main", "blockquote", "pre", "ul", "ol", "li",
        "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "caption", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "form", "fieldset", "address", "body", "html", "title", "head",
    };

    /// <summary>The text paragraphs of <paramref name="html"/>. With <paramref name="root"/>,
    /// only text inside an element it accepts is kept; elements <paramref name="skip"/>
    /// accepts are dropped with their content; the head (title included) is never text.</summary>
    public static List<string> Paragraphs(string html, Func<HtmlTag, bool>? root = null, Func<HtmlTag, bool>? skip = null)
    {
        var paragraphs = new List<string>();
        var sb = new StringBuilder();
        var stack = new List<(string Name, bool Root, bool Skip)>();
        int rootDepth = 0, skipDepth = 0, preDepth = 0;
        bool pendingSpace = false, paragraphIsPre = false;

        bool Capturing() => (root is null || rootDepth > 0) && skipDepth == 0;

        void Flush()
        {
            var text = paragraphIsPre ? CleanPre(sb.ToString()) : sb.ToString().Trim();
            if (text.Length > 0) paragraphs.Add(text);
            sb.Clear();
            pendingSpace = false;
            paragraphIsPre = false;
        }

        void AppendText(string raw)
        {
            if (!Capturing()) return;
            var text = raw.IndexOf('&') >= 0 ? WebUtility.HtmlDecode(raw) : raw;
            if (preDepth > 0)
            {
                paragraphIsPre = true;
                sb.Append(text.Replace("\r", ""));
                return;
            }
            foreach (var ch in text)
            {
                if (char.IsWhiteSpace(ch)) { pendingSpace = true; continue; }
                if (pendingSpace && sb.Length > 0 && sb[^1] != '\n' && sb[^1] != ' ') sb.Append(' ');
                pendingSpace = false;
                sb.Append(ch);
            }
        }

        void LineBreak()
        {
            if (!Capturing()) return;
            while (sb.Length > 0 && sb[^1] == ' ') sb.Length--;
            if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
            pendingSpace = false;
        }

        int i = 0, n = html.Length;
        while (i < n)
        {
            int lt = html.IndexOf('<', i);
            if (lt < 0) { AppendText(html[i..]); break; }
            if (lt > i) AppendText(html[i..lt]);
            if (lt + 1 >= n) { AppendText("<"); break; }
            char c = html[lt + 1];
            if (html.AsSpan(lt).StartsWith("<!--"))
            {
                int end = html.IndexOf("-->", lt + 4, StringComparison.Ordinal);
                i = end < 0 ? n : end + 3;
                continue;
            }
            if (c is '!' or '?')
            {
                int end = html.IndexOf('>', lt);
                i = end < 0 ? n : end + 1;
                continue;
            }
            if (c == '/')
            {
                int end = html.IndexOf('>', lt);
                if (end < 0) { i = n; break; }
                var name = html[(lt + 2)..end].Trim().ToLowerInvariant();
                i = end + 1;
                int at = stack.FindLastIndex(e => e.Name == name);
                if (at < 0) continue;
                if (Block.Contains(name)) Flush();
                else if (name == "tr") LineBreak();
                for (int k = stack.Count - 1; k >= at; k--)
                {
                    var e = stack[k];
                    if (e.Root) rootDepth--;
                    if (e.Skip) skipDepth--;
                    if (e.Name == "pre") preDepth--;
                    stack.RemoveAt(k);
                }
                continue;
            }
            if (!char.IsAsciiLetter(c)) { AppendText("<"); i = lt + 1; continue; }

            int close = TagEnd(html, lt);
            if (close < 0) { i = n; break; }
            var tagText = html.AsSpan(lt + 1, close - lt - 1);
            bool selfClosing = tagText.Length > 0 && tagText[^1] == '/';
            int nameLen = 0;
            while (nameLen < tagText.Length && (char.IsAsciiLetterOrDigit(tagText[nameLen]) || tagText[nameLen] is ':' or '-')) nameLen++;
            var tagName = tagText[..nameLen].ToString().ToLowerInvariant();
            i = close + 1;

            if (tagName is "script" or "style")
            {
                int end = html.IndexOf("</" + tagName, i, StringComparison.OrdinalIgnoreCase);
                int gt = end < 0 ? -1 : html.IndexOf('>', end);
                i = gt < 0 ? n : gt + 1;
                continue;
            }
            var tag = ParseTag(tagName, tagText[nameLen..].ToString());
            if (Block.Contains(tagName)) Flush();
            if (tagName == "br") { LineBreak(); continue; }
            if (tagName is "td" or "th") pendingSpace = true;
            if (selfClosing || Void.Contains(tagName)) continue;

            bool isRoot = root is not null && root(tag);
            bool isSkip = tagName == "head" || (skip is not null && skip(tag));
            if (isRoot) rootDepth++;
            if (isSkip) skipDepth++;
            if (tagName == "pre") preDepth++;
            stack.Add((tagName, isRoot, isSkip));
        }
        Flush();
        return paragraphs;
    }

    /// <summary>The index of the '>' closing the tag opened at <paramref name="lt"/>, skipping
    /// quoted attribute values; -1 when the tag never closes.</summary>
    static int TagEnd(string html, int lt)
    {
        char quote = '\0';
        for (int k = lt + 1; k < html.Length; k++)
        {
            char ch = html[k];
            if (quote != '\0') { if (ch == quote) quote = '\0'; }
            else if (ch is '"' or '\'') quote = ch;
            else if (ch == '>') return k;
        }
        return -1;
    }

    static HtmlTag ParseTag(string name, string attributes)
    {
        string? id = null, cls = null, role = null;
        if (attributes.Length > 0)
            foreach (Match m in Attribute().Matches(attributes))
            {
                var value = m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Success ? m.Groups[3].Value : m.Groups[4].Value;
                switch (m.Groups[1].Value.ToLowerInvariant())
                {
                    case "id": id = value; break;
                    case "class": cls = value; break;
                    case "role": role = value; break;
                }
            }
        return new HtmlTag(name, id, cls, role);
    }

    /// <summary>A pre block: no trailing spaces, no blank lines (they would read as paragraph
    /// breaks), no leading or trailing empty lines; indentation kept.</summary>
    static string CleanPre(string s)
    {
        var lines = s.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0);
        return string.Join('\n', lines);
    }

    [GeneratedRegex("([A-Za-z_:][-A-Za-z0-9_:.]*)\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s>]+))")]
    private static partial Regex Attribute();
}
