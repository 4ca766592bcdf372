
namespace NotebookSlm.Corpora;

/// <summary>A method found in a Java file: its declaring type, name, the lines it spans
/// (annotations to closing brace) and its tokens (comments dropped).</summary>
public sealed record JavaMethod(string File, string TypeName, string Name, int StartLine, int EndLine, IReadOnlyList<JavaToken> Tokens)
{
    public int Lines => EndLine - StartLine + 1;
    /// <summary>The method on one line, whitespace collapsed to single spaces (CodeXGLUE's layout).</summary>
    public string OneLine => JavaLexer.Render(Tokens);
}

/// <summary>
/// Finds the methods with bodies in a Java compilation unit: members of classes and
/// interfaces, nested ones included, and the members after an enum's constants. Constructors,
/// initializer blocks, fields (array initializers included), abstract and native methods,
/// annotation types and records are not methods with bodies here and are passed over. Works on
/// tokens with bracket matching, not a full parser, which suffices for compiling sources.
/// </summary>
public static class JavaMethods
{
    public static List<JavaMethod> Extract(string source, string file) => Extract(JavaLexer.Lex(source, file), file);

    public static List<JavaMethod> Extract(IReadOnlyList<JavaToken> t, string file)
    {
        var methods = new List<JavaMethod>();
        for (int i = 0; i < t.Count; i++)
            if (TypeDeclaration(t, i) is { } decl)
            {
                int open = IndexOf(t, "{", decl.NameAt);
                if (open < 0) throw new DataFormatException(file, t[decl.NameAt].Line, decl.Kind, "no body after the type name");
                int close = Match(t, file: file, open: open);
                if (!decl.Skip) Body(t, open, close, decl.Kind == "enum", t[decl.NameAt].Text, file, methods);
                i = close;
            }
        return methods;
    }

    /// <summary>A type declaration starting at i: class, interface, enum (and @interface or
    /// record, which are skipped), with the index of its name.</summary>
    static (string Kind, int NameAt, bool Skip)? TypeDeclaration(IReadOnlyList<JavaToken> t, int i)
    {
        if (i + 1 >= t.Count || t[i + 1].Kind != JavaTokenKind.Identifier) return null;
        if (i > 0 && t[i - 1].Text == ".") return null;
        var s = t[i].Text;
        if (t[i].Kind == JavaTokenKind.Keyword && s is "class" or "interface" or "enum")
            return (s, i + 1, i > 0 && t[i - 1].Text == "@");
        if (t[i].Kind == JavaTokenKind.Identifier && s == "record" && i + 2 < t.Count && t[i + 2].Text is "(" or "<")
            return ("record", i + 1, true);
        return null;
    }

    static void Body(IReadOnlyList<JavaToken> t, int open, int close, bool isEnum, string typeName, string file, List<JavaMethod> methods)
    {
        int i = open + 1;
        if (isEnum)
        {
            while (i < close && t[i].Text != ";") i = t[i].Text is "(" or "{" ? Match(t, file: file, open: i) + 1 : i + 1;
            i++;
        }
        while (i < close)
        {
            int start = i;
            int paren = -1;          // the member's first '(' outside annotations
            bool assigned = false;
            while (i < close)
            {
                var x = t[i];
                if (x.Text == "@" && i + 1 < close && t[i + 1].Text != "interface")
                {
                    i = SkipAnnotation(t, i);
                    continue;
                }
                if (TypeDeclaration(t, i) is { } nested)
                {
                    int nOpen = IndexOf(t, "{", nested.NameAt);
                    if (nOpen < 0) throw new DataFormatException(file, t[nested.NameAt].Line, nested.Kind, "no body after the type name");
                    int nClose = Match(t, file: file, open: nOpen);
                    if (!nested.Skip) Body(t, nOpen, nClose, nested.Kind == "enum", $"{typeName}.{t[nested.NameAt].Text}", file, methods);
                    i = nClose + 1;
                    start = -1;
                    break;
                }
                if (x.Text == ";") { i++; break; }
                if (x.Text == "=") assigned = true;
                if (x.Text == "(")
                {
                    if (paren < 0) paren = i;
                    i = Match(t, file: file, open: i) + 1;
                    continue;
                }
                if (x.Text == "{")
                {
                    int end = Match(t, file: file, open: i);
                    if (assigned)                   // a field's array initializer: the member ends at ';'
                    {
                        i = end + 1;
                        continue;
                    }
                    if (paren > 0 && IsMethod(t, start, paren))
                        methods.Add(new JavaMethod(file, typeName, t[paren - 1].Text, t[start].Line, t[end].Line,
                            t.Skip(start).Take(end - start + 1).ToList()));
                    i = end + 1;
                    break;
                }
                i++;
            }
            if (start < 0) continue;
        }
    }

    /// <summary>A method (not a constructor): a return type stands between the modifiers and
    /// type parameters and the name before the parameter list.</summary>
    static bool IsMethod(IReadOnlyList<JavaToken> t, int start, int paren)
    {
        if (paren - 1 <= start || t[paren - 1].Kind != JavaTokenKind.Identifier) return false;
        int k = start;
        while (k < paren - 1)
        {
            if (t[k].Text == "@") { k = SkipAnnotation(t, k); continue; }
            if (t[k].Kind == JavaTokenKind.Keyword && t[k].Text is "public" or "protected" or "private" or "static" or "final"
                or "abstract" or "synchronized" or "native" or "strictfp" or "default") { k++; continue; }
            if (t[k].Text == "<") { k = MatchAngle(t, k) + 1; continue; }
            break;
        }
        return k < paren - 1;
    }

    /// <summary>The index after an annotation (@Name, @a.b.Name, with or without arguments) at <paramref name="at"/>.</summary>
    public static int SkipAnnotation(IReadOnlyList<JavaToken> t, int at)
    {
        int k = at + 1;
        while (k < t.Count && (t[k].Kind == JavaTokenKind.Identifier || t[k].Text == ".")) k++;
        return k < t.Count && t[k].Text == "(" ? Match(t, k) + 1 : k;
    }

    static int IndexOf(IReadOnlyList<JavaToken> t, string text, int from)
    {
        for (int k = from; k < t.Count; k++) if (t[k].Text == text) return k;
        return -1;
    }

    /// <summary>The index of the bracket closing the one at <paramref name="open"/> ((, [ or {);
    /// an unbalanced bracket raises a DataFormatException naming the file and line.</summary>
    public static int Match(IReadOnlyList<JavaToken> t, int open, string file = "java source")
    {
        int k = JavaLexer.MatchBracket(t, open, x => x.Text, x => x.Kind);
        return k >= 0 ? k : throw new DataFormatException(file, t[open].Line, t[open].Text, "no matching closing bracket");
    }

    /// <summary>The index of the '&gt;' closing a type-argument list opened at <paramref name="open"/>
    /// ('&gt;&gt;' and '&gt;&gt;&gt;' close two and three).</summary>
    public static int MatchAngle(IReadOnlyList<JavaToken> t, int open)
    {
        int depth = 0;
        for (int k = open; k < t.Count; k++)
        {
            depth += t[k].Text switch { "<" => 1, ">" => -1, ">>" => -2, ">>>" => -3, _ => 0 };
            if (depth <= 0) return k;
            if (t[k].Text is "(" or ")" or "{" or ";") break;
        }
        return open;
    }
}
