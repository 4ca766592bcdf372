using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

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

/// <summary>A heading or a paragraph of prose found in an HTML page, in document order.</summary>
public sealed record HtmlBlock(bool IsHeading, int Level, string Text);

/// <summary>
/// The one HTML-to-text path of the corpus recipes. Pages are parsed by AngleSharp (an HTML5
/// parser: entities decoded, unclosed <c>p</c>/<c>li</c> and stray tags repaired the way a
/// browser repairs them, comments, scripts and styles kept out of the text), and the DOM is
/// walked in document order two ways:
/// <list type="bullet">
/// <item><see cref="Paragraphs"/>: all text as paragraphs (edu-local). Block elements end a
/// paragraph, <c>br</c> and table rows end a line, <c>pre</c> blocks are kept line by line;
/// the caller picks the content region (<c>root</c>) and drops navigation and boilerplate
/// elements with everything inside them (<c>skip</c>). No paragraph contains a blank line, so
/// "\n\n" can join and split them losslessly.</item>
/// <item><see cref="Blocks"/>: headings and prose paragraphs only (essay-local, sum-local): a
/// paragraph is a <c>p</c> or a <c>div class="para"</c>; list items are paragraphs when asked
/// (AppStream) and skipped otherwise (lists in manuals are fragments, not prose); block-level
/// content nested in a paragraph (lists, code, tables) and whole asides (sidebars,
/// admonitions, notes, navigation, code listings) are left out, so what remains is running
/// text, whitespace collapsed.</item>
/// </list>
/// </summary>
public static class HtmlText
{
    static readonly HashSet<string> Block = new(StringComparer.Ordinal)
    {
        "p", "div", "section", "article", "aside", "header", "footer", "nav", "main", "blockquote", "pre", "ul", "ol", "li",
        "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "caption", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "form", "fieldset", "address", "body", "html", "title", "head",
    };

    /// <summary>Parses a page or a fragment (a fragment lands in the body).</summary>
    public static IDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    static HtmlTag TagOf(IElement e) => new(e.LocalName, e.GetAttribute("id"), e.GetAttribute("class"), e.GetAttribute("role"));

    /// <summary>The text paragraphs of <paramref name="html"/>. With <paramref name="root"/>,
    /// only text inside an element it accepts is kept; elements <paramref name="skip"/>
    /// accepts are dropped with their content; the head (title included) is never text.</summary>
    public static List<string> Paragraphs(string html, Func<HtmlTag, bool>? root = null, Func<HtmlTag, bool>? skip = null)
    {
        var paragraphs = new List<string>();
        var sb = new StringBuilder();
        bool pendingSpace = false, paragraphIsPre = false;

        void Flush()
        {
            var text = paragraphIsPre ? CleanPre(sb.ToString()) : sb.ToString().Trim();
            if (text.Length > 0) paragraphs.Add(text);
            sb.Clear();
            pendingSpace = false;
            paragraphIsPre = false;
        }

        void LineBreak()
        {
            while (sb.Length > 0 && sb[^1] == ' ') sb.Length--;
            if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
            pendingSpace = false;
        }

        void Text(string text, bool pre)
        {
            if (pre)
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

        // inRoot: inside an element root accepts (or no root given); text is kept only there.
        void Walk(INode node, bool inRoot, bool pre)
        {
            foreach (var child in node.ChildNodes)
            {
                if (child is IText t) { if (inRoot) Text(t.Data, pre); continue; }
                if (child is not IElement e) continue;
                var name = e.LocalName;
                if (name is "script" or "style" or "template") continue;
                bool block = Block.Contains(name);
                if (block && inRoot) Flush();
                if (name == "br") { if (inRoot) LineBreak(); continue; }
                if (name == "tr" && inRoot) LineBreak();
                if (name is "td" or "th" && inRoot) pendingSpace = true;
                var tag = TagOf(e);
                if (name == "head" || (skip is not null && skip(tag))) { if (block && inRoot) Flush(); continue; }
                Walk(e, inRoot || (root is not null && root(tag)), pre || name == "pre");
                if (block && inRoot) Flush();
            }
        }

        Walk(Parse(html), root is null, false);
        Flush();
        return paragraphs;
    }

    static readonly HashSet<string> ProseSkip = ["script", "style", "pre", "table", "head", "nav", "footer", "dl", "template"];
    static readonly HashSet<string> NestedBlocks = ["div", "ul", "ol", "pre", "table", "dl", "blockquote", "p"];
    static readonly string[] SkipClasses =
    [
        "sidebar", "admonition", "note", "warning", "tip", "important", "caution", "seealso", "example",
        "programlisting", "screen", "highlight", "footnote", "headerlink", "docnav", "navigation", "related",
        "sphinxsidebar", "toctree-wrapper", "footer", "versionadded", "versionchanged", "deprecated", "literal-block",
        "titlepage-note", "indexterm",
    ];

    /// <summary>Headings (h1-h4) and prose paragraphs of <paramref name="html"/> in order;
    /// empty ones dropped (the Sphinx pages of the Python docs, the DocBook pages of the Debian
    /// handbook, the HTML fragments of AppStream descriptions).</summary>
    public static List<HtmlBlock> Blocks(string html, bool listItemsAreParagraphs = false)
    {
        var blocks = new List<HtmlBlock>();

        bool Skipped(IElement e, bool inParagraph)
        {
            var name = e.LocalName;
            var cls = e.GetAttribute("class") ?? "";
            return ProseSkip.Contains(name) || SkipClasses.Any(s => cls.Contains(s, StringComparison.Ordinal))
                || (!listItemsAreParagraphs && name == "li")
                || (inParagraph && NestedBlocks.Contains(name));
        }

        void Capture(INode node, StringBuilder text)
        {
            foreach (var child in node.ChildNodes)
            {
                if (child is IText t) text.Append(t.Data);
                else if (child is IElement e)
                {
                    if (e.LocalName == "br") text.Append(' ');
                    else if (!Skipped(e, inParagraph: true)) Capture(e, text);
                }
            }
        }

        void Walk(INode node)
        {
            foreach (var child in node.ChildNodes)
            {
                if (child is not IElement e || Skipped(e, inParagraph: false)) continue;
                var name = e.LocalName;
                bool heading = name.Length == 2 && name[0] == 'h' && name[1] is >= '1' and <= '4';
                bool paragraph = name == "p" || (name == "div" && e.ClassList.Contains("para")) || (listItemsAreParagraphs && name == "li");
                if (!heading && !paragraph) { Walk(e); continue; }
                var text = new StringBuilder();
                Capture(e, text);
                var collapsed = Sentences.Collapse(text.ToString());
                if (collapsed.Length > 0) blocks.Add(new HtmlBlock(heading, heading ? name[1] - '0' : 0, collapsed));
            }
        }

        Walk(Parse(html));
        return blocks;
    }

    /// <summary>The page's &lt;title&gt; text, decoded and whitespace-collapsed, or "" when it has none.</summary>
    public static string Title(string html) => Sentences.Collapse(Parse(html).Title ?? "");

    /// <summary>A pre block: no trailing spaces, no blank lines (they would read as paragraph
    /// breaks), no leading or trailing empty lines; indentation kept.</summary>
    static string CleanPre(string s)
    {
        var lines = s.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0);
        return string.Join('\n', lines);
    }
}
