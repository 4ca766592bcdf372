using System.Net;
using System.Text;

namespace NotebookSlm.Corpora;

/// <summary>A heading or a paragraph of prose found in an HTML page, in document order.</summary>
public sealed record HtmlBlock(bool IsHeading, int Level, string Text);

/// <summary>
/// Extracts headings and prose paragraphs from HTML: the Sphinx pages of the Python docs, the
/// DocBook/publican pages of the Debian handbook and the small HTML fragments of AppStream
/// descriptions. A paragraph is a <c>&lt;p&gt;</c> or a <c>&lt;div class="para"&gt;</c>; list items
/// are paragraphs when asked (AppStream) and skipped otherwise (lists in manuals are
/// fragments, not prose); block-level content nested in a paragraph (lists, code, tables)
/// and whole asides (sidebars, admonitions, notes, navigation, code listings) are left out,
/// so what remains is running text. Entities are decoded and whitespace collapsed.
/// A tolerant tag scanner, not a validating parser: unclosed tags are closed by the next
/// matching end tag or by the end of the input.
/// </summary>
public static class HtmlProse
{
    static readonly HashSet<string> Void = ["br", "img", "meta", "link", "hr", "input", "wbr", "col", "area", "base", "source"];
    static readonly HashSet<string> AlwaysSkip = ["script", "style", "pre", "table", "head", "nav", "footer", "dl"];
    static readonly HashSet<string> NestedBlocks = ["div", "ul", "ol", "pre", "table", "dl", "blockquote", "p"];
    static readonly string[] SkipClasses =
    [
        "sidebar", "admonition", "note", "warning", "tip", "important", "caution", "seealso", "example",
        "programlisting", "screen", "highlight", "footnote", "headerlink", "docnav", "navigation", "related",
        "sphinxsidebar", "toctree-wrapper", "footer", "versionadded", "versionchanged", "deprecated", "literal-block",
        "titlepage-note", "indexterm",
    ];

    /// <summary>Headings (h1-h4) and paragraphs of <paramref name="html"/> in order; empty ones dropped.</summary>
    public static List<HtmlBlock> Blocks(string html, bool listItemsAreParagraphs = false)
    {
        var blocks = new List<HtmlBlock>();
        var stack = new List<(string Name, bool Skip)>();
        int skipDepth = 0;                   // open elements that hide their content
        StringBuilder? capture = null;       // text of the heading or paragraph being read
        string? captureTag = null;
        int captureLevel = 0, captureStack = 0;

        int i = 0;
        while (i < html.Length)
        {
            char c = html[i];
            if (c != '<')
            {
                int next = html.IndexOf('<', i);
                if (next < 0) next = html.Length;
                if (capture is not null && skipDepth == 0) capture.Append(html, i, next - i);
                i = next;
                continue;
            }
            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                int end = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                i = end < 0 ? html.Length : end + 3;
                continue;
            }
            int close = html.IndexOf('>', i);
            if (close < 0) break;
            var tag = html.AsSpan(i + 1, close - i - 1);
            i = close + 1;
            if (tag.Length == 0 || tag[0] is '!' or '?') continue;
            bool isEnd = tag[0] == '/';
            if (isEnd) tag = tag[1..];
            int nameEnd = 0;
            while (nameEnd < tag.Length && (char.IsLetterOrDigit(tag[nameEnd]) || tag[nameEnd] is ':' or '-')) nameEnd++;
            var name = tag[..nameEnd].ToString().ToLowerInvariant();
            if (name.Length == 0) continue;

            if (isEnd)
            {
                int at = stack.FindLastIndex(e => e.Name == name);
                if (at < 0) continue;
                for (int k = stack.Count - 1; k >= at; k--)
                {
                    if (stack[k].Skip) skipDepth--;
                    if (capture is not null && k == captureStack)
                    {
                        var text = Sentences.Collapse(WebUtility.HtmlDecode(capture.ToString()));
                        if (text.Length > 0) blocks.Add(new HtmlBlock(captureTag![0] == 'h', captureLevel, text));
                        capture = null;
                    }
                    stack.RemoveAt(k);
                }
                continue;
            }
            if (name == "br" && capture is not null) capture.Append(' ');
            bool selfClosing = tag.Length > 0 && tag[^1] == '/';
            if (Void.Contains(name) || selfClosing) continue;

            var cls = ClassOf(tag);
            bool skip = AlwaysSkip.Contains(name) || SkipClasses.Any(s => cls.Contains(s, StringComparison.Ordinal))
                || (!listItemsAreParagraphs && name == "li")
                || (capture is not null && NestedBlocks.Contains(name));
            stack.Add((name, skip));
            if (skip) { skipDepth++; continue; }
            if (capture is not null || skipDepth > 0) continue;

            bool heading = name.Length == 2 && name[0] == 'h' && name[1] is >= '1' and <= '4';
            bool paragraph = name == "p" || (name == "div" && HasClass(cls, "para")) || (listItemsAreParagraphs && name == "li");
            if (heading || paragraph)
            {
                capture = new StringBuilder();
                captureTag = heading ? "h" : "p";
                captureLevel = heading ? name[1] - '0' : 0;
                captureStack = stack.Count - 1;
            }
        }
        if (capture is not null && skipDepth == 0)
        {
            var text = Sentences.Collapse(WebUtility.HtmlDecode(capture.ToString()));
            if (text.Length > 0) blocks.Add(new HtmlBlock(captureTag![0] == 'h', captureLevel, text));
        }
        return blocks;
    }

    /// <summary>The page's &lt;title&gt; text, decoded, or "" when it has none.</summary>
    public static string Title(string html)
    {
        int a = html.IndexOf("<title", StringComparison.OrdinalIgnoreCase);
        if (a < 0) return "";
        a = html.IndexOf('>', a);
        int b = html.IndexOf("</title>", a + 1, StringComparison.OrdinalIgnoreCase);
        return a < 0 || b < 0 ? "" : Sentences.Collapse(WebUtility.HtmlDecode(html[(a + 1)..b]));
    }

    static string ClassOf(ReadOnlySpan<char> tag)
    {
        int at = tag.IndexOf("class=", StringComparison.OrdinalIgnoreCase);
        if (at < 0 || at + 6 >= tag.Length) return "";
        var rest = tag[(at + 6)..];
        char q = rest[0];
        if (q is '"' or '\'')
        {
            int end = rest[1..].IndexOf(q);
            return end < 0 ? rest[1..].ToString() : rest.Slice(1, end).ToString();
        }
        int sp = rest.IndexOfAny(' ', '/');
        return (sp < 0 ? rest : rest[..sp]).ToString();
    }

    static bool HasClass(string cls, string name) =>
        cls.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(name, StringComparer.Ordinal);
}
