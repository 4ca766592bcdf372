using static NotebookSlm.Corpora.JavaApiMap;

namespace NotebookSlm.Corpora;

/// <summary>The header, library, member and statement rules of <see cref="JavaToCSharp"/>.</summary>
public static partial class JavaToCSharp
{
    static Tok Kw(string text, bool space = true) => new(JavaTokenKind.Keyword, text, space);

    /// <summary>Rewrites the method header (everything before the body's '{'); returns a
    /// refusal reason or null.</summary>
    static string? Header(List<Tok> t)
    {
        var attrs = new List<Tok>();
        var access = new List<Tok>();
        var others = new List<Tok>();
        List<Tok> typeParams = [];
        bool overrideTag = false;
        int i = 0;
        while (i < t.Count)
        {
            var s = t[i].Text;
            if (s == "@")
            {
                int k = i + 1;
                while (k < t.Count && (t[k].Kind == JavaTokenKind.Identifier || t[k].Text == ".")) k++;
                var name = t[k - 1].Text;
                if (k < t.Count && t[k].Text == "(") k = Match(t, k) + 1;
                if (name == "Override") overrideTag = true;
                else if (name == "Deprecated") attrs.Add(Op("[Obsolete]", true));
                i = k;
                continue;
            }
            if (s is "public" or "protected" or "private") { access.Add(Kw(s)); i++; continue; }
            if (s is "static" or "abstract") { others.Add(Kw(s)); i++; continue; }
            if (s == "final") { i++; continue; }
            if (s == "synchronized") { attrs.Add(Op("[MethodImpl(MethodImplOptions.Synchronized)]", true)); i++; continue; }
            if (s == "<")
            {
                int end = JavaToCSharpChecks.MatchAngle(t.Select(x => x.Text).ToList(), i);
                if (end <= i) return "header: unbalanced type parameters";
                typeParams = t.GetRange(i, end - i + 1);
                i = end + 1;
                continue;
            }
            break;
        }
        int paren = t.FindIndex(i, x => x.Text == "(");
        if (paren <= i) return "header: no parameter list after a return type";
        int close = Match(t, paren);
        int body = close < 0 ? -1 : t.FindIndex(close, x => x.Text == "{");
        if (body < 0) return "header: no body";
        if (body > close + 1 && t[close + 1].Text != "throws") return $"header: '{t[close + 1].Text}' after the parameters";
        var javaName = t[paren - 1].Text;
        int arity = Args(t, paren, close).Count;
        bool isOverride = overrideTag && ((javaName is "toString" or "hashCode" && arity == 0) || (javaName == "equals" && arity == 1));

        var header = new List<Tok>(attrs);
        header.AddRange(access);
        if (isOverride) header.Add(Kw("override"));
        header.AddRange(others);
        var returnType = t.GetRange(i, paren - 1 - i);
        returnType[0].Space = true;
        header.AddRange(returnType);
        header.Add(Id(Methods.TryGetValue(javaName, out var renamed) ? renamed : Pascal(javaName), true));
        if (typeParams.Count > 0) { typeParams[0].Space = false; header.AddRange(typeParams); }
        header.AddRange(t.GetRange(paren, close - paren + 1));
        t.RemoveRange(0, body);
        t.InsertRange(0, header);
        if (t[0].Space) t[0].Space = false;
        return null;
    }

    /// <summary>Library static members by table, and the argument-aware ones
    /// (Arrays.fill/sort, Objects.requireNonNull); returns a refusal reason or null.</summary>
    static string? StaticMembersRule(List<Tok> t)
    {
        for (int i = 0; i + 2 < t.Count; i++)
        {
            if (t[i].Kind != JavaTokenKind.Identifier || t[i + 1].Text != "." || t[i + 2].Kind != JavaTokenKind.Identifier) continue;
            if (i > 0 && t[i - 1].Text == ".") continue;
            var key = $"{t[i].Text}.{t[i + 2].Text}";
            bool call = i + 3 < t.Count && t[i + 3].Text == "(";
            int close = call ? Match(t, i + 3) : -1;
            int arity = call ? Args(t, i + 3, close).Count : -1;
            if (StaticMembers.TryGetValue(key, out var cs))
            {
                var parts = cs.Split('.');
                var repl = new List<Tok> { Id(parts[0], t[i].Space) };
                for (int p = 1; p < parts.Length; p++) { repl.Add(Op(".")); repl.Add(Id(parts[p])); }
                t.RemoveRange(i, 3);
                t.InsertRange(i, repl);
            }
            else if ((key == "Arrays.fill" && arity == 2) || (key == "Arrays.sort" && arity == 1))
            {
                t[i].Text = "Array";
                t[i + 2].Text = key == "Arrays.fill" ? "Fill" : "Sort";
            }
            else if (key == "Objects.requireNonNull" && arity is 1 or 2)
            {
                var args = Args(t, i + 3, close);
                var repl = new List<Tok> { Op("(", t[i].Space) };
                repl.AddRange(Copy(t, args[0].Start, args[0].End));
                repl[1].Space = false;
                repl.AddRange([Op("??", true), Kw("throw"), Kw("new"), Id("NullReferenceException", true), Op("(")]);
                if (arity == 2) { var m = Copy(t, args[1].Start, args[1].End); m[0].Space = false; repl.AddRange(m); }
                repl.AddRange([Op(")"), Op(")")]);
                t.RemoveRange(i, close - i + 1);
                t.InsertRange(i, repl);
            }
            else if (MappedClasses.Contains(t[i].Text)) return $"unmapped library member: {key}";
        }
        return null;
    }

    /// <summary>Type names, boxed type arguments and exception types.</summary>
    static void TypesRule(List<Tok> t)
    {
        for (int i = 0; i < t.Count; i++)
        {
            var x = t[i];
            if (x.Kind is not (JavaTokenKind.Identifier or JavaTokenKind.Keyword)) continue;
            if (i > 0 && t[i - 1].Text == ".") continue;
            bool member = i + 1 < t.Count && t[i + 1].Text == ".";
            if (i + 1 < t.Count && t[i + 1].Text == "(" && !(i > 0 && t[i - 1].Text == "new")) continue;   // a method named like a type
            if (!member && Types.TryGetValue(x.Text, out var type)) x.Text = type;
            else if (!member && Boxed.TryGetValue(x.Text, out var prim)) x.Text = prim;
            else if (Exceptions.TryGetValue(x.Text, out var ex)) x.Text = ex;
        }
    }

    /// <summary>.length, .length(), .size(), .charAt(i), .substring(a[, b]) and renamed
    /// instance methods; returns a refusal reason or null.</summary>
    static string? MembersRule(List<Tok> t)
    {
        for (int i = 0; i + 1 < t.Count; i++)
        {
            if (t[i].Text != "." || t[i + 1].Kind != JavaTokenKind.Identifier) continue;
            var name = t[i + 1].Text;
            bool call = i + 2 < t.Count && t[i + 2].Text == "(";
            bool empty = call && i + 3 < t.Count && t[i + 3].Text == ")";
            if (name == "length" && !call) t[i + 1].Text = "Length";
            else if (name is "length" or "size" && empty)
            {
                t[i + 1].Text = name == "length" ? "Length" : "Count";
                t.RemoveRange(i + 2, 2);
            }
            else if (name == "charAt" && call)
            {
                int close = Match(t, i + 2);
                t[i + 2] = Op("[");
                t[close] = Op("]");
                t.RemoveRange(i, 2);
            }
            else if (name == "substring" && call)
            {
                int close = Match(t, i + 2);
                var args = Args(t, i + 2, close);
                t[i + 1].Text = "Substring";
                if (args.Count != 2) continue;
                var a = Copy(t, args[0].Start, args[0].End);
                if (a.Any(x => x.Text is "++" or "--" or "(" || x.Text.EndsWith('=') && x.Text is not ("==" or "!=" or "<=" or ">=")))
                    return "substring: start index with side effects";
                var b = Copy(t, args[1].Start, args[1].End);
                var length = new List<Tok>();
                length.AddRange(Parenthesized(b, JavaToCSharpChecks.NeedsParensAsLeftOperand(b.Select(x => x.Text).ToList())));
                length.Add(Op("-", true));
                var right = Parenthesized(a, a.Count > 1);
                right[0].Space = true;
                length.AddRange(right);
                length[0].Space = t[args[1].Start].Space;
                t.RemoveRange(args[1].Start, args[1].End - args[1].Start);
                t.InsertRange(args[1].Start, length);
            }
            else if (call && Methods.TryGetValue(name, out var renamed)) t[i + 1].Text = renamed;
        }
        return null;
    }

    static List<Tok> Parenthesized(List<Tok> e, bool wrap)
    {
        if (!wrap) return e;
        var r = new List<Tok> { Op("(", e[0].Space) };
        e[0].Space = false;
        r.AddRange(e);
        r.Add(Op(")"));
        return r;
    }

    /// <summary>Annotations in the body, instanceof, synchronized blocks, super., final,
    /// for-each, varargs, assert.</summary>
    static string? StatementsRule(List<Tok> t)
    {
        for (int i = 0; i < t.Count; i++)
        {
            var x = t[i];
            var next = i + 1 < t.Count ? t[i + 1].Text : "";
            if (x.Text == "@" && x.Kind == JavaTokenKind.Operator)
            {
                int k = i + 1;
                while (k < t.Count && (t[k].Kind == JavaTokenKind.Identifier || t[k].Text == ".")) k++;
                if (k < t.Count && t[k].Text == "(") k = Match(t, k) + 1;
                if (k < t.Count) t[k].Space = x.Space;
                t.RemoveRange(i, k - i);
                i--;
                continue;
            }
            if (x.Kind != JavaTokenKind.Keyword && x.Text != "...") continue;
            switch (x.Text)
            {
                case "instanceof": t[i] = Kw("is", x.Space); break;
                case "synchronized" when next == "(": t[i] = Kw("lock", x.Space); break;
                case "super" when next == ".": t[i] = Kw("base", x.Space); break;
                case "final": Remove(t, i); i--; break;
                case "for" when next == "(":
                    int close = Match(t, i + 1), colon = -1, depth = 0;
                    bool semicolon = false;
                    for (int k = i + 2; k < close; k++)
                    {
                        var s = t[k].Text;
                        if (s is "(" or "[" or "{") depth++;
                        else if (s is ")" or "]" or "}") depth--;
                        else if (depth == 0 && s == ";") semicolon = true;
                        else if (depth == 0 && s == ":" && colon < 0) colon = k;
                    }
                    if (colon > 0 && !semicolon)
                    {
                        t[i] = Kw("foreach", x.Space);
                        t[colon] = Kw("in", true);
                        t[colon + 1].Space = true;
                    }
                    break;
                case "...":
                    int start = i;
                    while (start > 0 && t[start - 1].Text is not ("(" or ","))
                        start = t[start - 1].Text == ">" ? t.FindLastIndex(start - 1, y => y.Text == "<") : start - 1;
                    t[i] = Op("[]");
                    t.Insert(start, Kw("params", t[start].Space));
                    t[start + 1].Space = true;
                    break;
                case "assert":
                    if (Assert(t, i) is { } reason) return reason;
                    break;
            }
        }
        return null;
    }

    /// <summary>assert c; -> Debug.Assert(c); assert c : m; -> Debug.Assert(c, m);</summary>
    static string? Assert(List<Tok> t, int at)
    {
        int depth = 0, questions = 0, colon = -1, end = -1;
        for (int k = at + 1; k < t.Count && end < 0; k++)
        {
            var s = t[k].Text;
            if (s is "(" or "[" or "{") depth++;
            else if (s is ")" or "]" or "}") depth--;
            else if (depth == 0 && s == "?") questions++;
            else if (depth == 0 && s == ":") { if (questions > 0) questions--; else colon = k; }
            else if (depth == 0 && s == ";") end = k;
        }
        if (end < 0) return "assert: no ';'";
        var cond = Copy(t, at + 1, colon > 0 ? colon : end);
        var repl = new List<Tok> { Id("Debug", t[at].Space), Op("."), Id("Assert"), Op("(") };
        cond[0].Space = false;
        repl.AddRange(cond);
        if (colon > 0) { repl.Add(Op(",")); var m = Copy(t, colon + 1, end); m[0].Space = true; repl.AddRange(m); }
        repl.Add(Op(")"));
        t.RemoveRange(at, end - at);
        t.InsertRange(at, repl);
        return null;
    }

    /// <summary>PascalCases every remaining method call: an identifier followed by '(' that is
    /// not a constructor call.</summary>
    static void MethodCallsRule(List<Tok> t)
    {
        for (int i = 0; i + 1 < t.Count; i++)
        {
            var x = t[i];
            if (x.Kind != JavaTokenKind.Identifier || t[i + 1].Text != "(" || (i > 0 && t[i - 1].Text == "new")) continue;
            x.Text = Methods.TryGetValue(x.Text, out var renamed) ? renamed : Pascal(x.Text);
        }
    }
}
