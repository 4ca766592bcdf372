using System.Globalization;
using System.Text;
using static NotebookSlm.Corpora.JavaApiMap;

namespace NotebookSlm.Corpora;

/// <summary>A translation: the C# method on one line, or the reason the method was refused.</summary>
public sealed record JavaTranslation(string? CSharp, string? Refused);

/// <summary>
/// Rule-based Java -> C# translation of single methods (labelled "rule-translated" wherever
/// the output appears). Token rules, in order:
/// <list type="number">
/// <item>Refusal (JavaToCSharpChecks): a method with a construct the rules do not carry over
/// is skipped with a reason (lambdas, method references, switch, anonymous or local classes,
/// wildcards, labels, octal literals, Java-only library names, unmapped library members, ...).</item>
/// <item>Identifiers that are C# keywords get '@' (in -> @in); C-style array declarators move
/// to the type (byte b[] -> byte[] b).</item>
/// <item>Header: annotations dropped except @Override on toString()/hashCode()/equals(Object)
/// (-> override) and @Deprecated (-> [Obsolete]); final dropped; synchronized ->
/// [MethodImpl(MethodImplOptions.Synchronized)]; type parameters moved after the name;
/// throws clause dropped; the name PascalCased (hashCode -> GetHashCode).</item>
/// <item>Static members by table (Integer.MAX_VALUE -> int.MaxValue, System.arraycopy ->
/// Array.Copy, Math.max -> Math.Max, ...), Arrays.fill(a, v) -> Array.Fill, Arrays.sort(a) ->
/// Array.Sort, Objects.requireNonNull(x[, m]) -> (x ?? throw new NullReferenceException([m])).</item>
/// <item>Types (boolean -> bool, byte -> sbyte, String -> string, Object -> object, List -> IList,
/// ...), boxed type arguments (List&lt;Integer&gt; -> IList&lt;int&gt;), exceptions
/// (IllegalArgumentException -> ArgumentException, ...).</item>
/// <item>Members: .length and .length() -> .Length, .size() -> .Count, .charAt(i) -> [i],
/// .substring(a, b) -> .Substring(a, b - a), hashCode/getClass/toUpperCase/toLowerCase renamed.</item>
/// <item>Statements: annotations in the body dropped, instanceof -> is, synchronized (x) -> lock (x), for (T x : xs) -> foreach
/// (T x in xs), assert c : m; -> Debug.Assert(c, m);, super. -> base., T... xs -> params T[] xs,
/// final dropped.</item>
/// <item>Every other method call PascalCased (foo(...) -> Foo(...)).</item>
/// <item>Literals: 1l -> 1L, 1. -> 1.0, hex beyond int/long range -> unchecked((int)0x...).</item>
/// </list>
/// A method with any Java-only token left after the rules is refused too.
/// </summary>
public static partial class JavaToCSharp
{
    public static JavaTranslation Translate(string javaMethod) => Translate(JavaLexer.Lex(javaMethod, "<method>"));

    public static JavaTranslation Translate(IReadOnlyList<JavaToken> method)
    {
        var t = method.Select(x => new Tok(x.Kind, x.Text, x.SpaceBefore)).ToList();
        if (JavaToCSharpChecks.Refusal(method) is { } reason) return new JavaTranslation(null, reason);
        foreach (var x in t)
            if (x.Kind == JavaTokenKind.Identifier && CSharpOnlyKeywords.Contains(x.Text)) x.Text = "@" + x.Text;
        if (ArrayDeclaratorsRule(t) is { } declaratorReason) return new JavaTranslation(null, declaratorReason);
        if (Header(t) is { } headerReason) return new JavaTranslation(null, headerReason);
        if (StaticMembersRule(t) is { } staticReason) return new JavaTranslation(null, staticReason);
        TypesRule(t);
        if (MembersRule(t) is { } memberReason) return new JavaTranslation(null, memberReason);
        if (StatementsRule(t) is { } statementReason) return new JavaTranslation(null, statementReason);
        MethodCallsRule(t);
        LiteralsRule(t);
        for (int i = 0; i < t.Count; i++)
            if ((t[i].Kind is JavaTokenKind.Keyword or JavaTokenKind.Operator && LeftoverJava.Contains(t[i].Text))
                || (i > 0 && t[i - 1].Text == "." && LeftoverMembers.Contains(t[i].Text)))
                return new JavaTranslation(null, $"java-only token left: {t[i].Text}");
        return new JavaTranslation(Render(t), null);
    }

    static readonly HashSet<string> LeftoverJava = new(StringComparer.Ordinal)
    {
        "instanceof", "throws", "extends", "implements", "final", "native", "transient", "strictfp", "volatile",
        "synchronized", "super", "switch", "boolean", "->", "::", "@", "...",
    };

    static readonly HashSet<string> LeftoverMembers = new(StringComparer.Ordinal) { "length", "charAt", "substring" };

    /// <summary>A mutable token while rules rewrite the method.</summary>
    internal sealed class Tok(JavaTokenKind kind, string text, bool space)
    {
        public JavaTokenKind Kind = kind;
        public string Text = text;
        public bool Space = space;
    }

    static Tok Op(string text, bool space = false) => new(JavaTokenKind.Operator, text, space);
    static Tok Id(string text, bool space = false) => new(JavaTokenKind.Identifier, text, space);

    internal static string Render(IEnumerable<Tok> tokens)
    {
        var sb = new StringBuilder();
        foreach (var x in tokens)
        {
            if (x.Space && sb.Length > 0) sb.Append(' ');
            sb.Append(x.Text);
        }
        return sb.ToString();
    }

    /// <summary>Removes token i, handing its leading space to the token after it.</summary>
    static void Remove(List<Tok> t, int i)
    {
        if (i + 1 < t.Count) t[i + 1].Space = t[i].Space;
        t.RemoveAt(i);
    }

    static int Match(List<Tok> t, int open) => JavaLexer.MatchBracket(t, open, x => x.Text, x => x.Kind);

    /// <summary>The arguments of the call whose '(' is at <paramref name="open"/>, as token ranges [start, end).</summary>
    static List<(int Start, int End)> Args(List<Tok> t, int open, int close)
    {
        var args = new List<(int, int)>();
        if (close == open + 1) return args;
        int depth = 0, start = open + 1;
        for (int k = open + 1; k < close; k++)
        {
            var s = t[k].Text;
            if (t[k].Kind != JavaTokenKind.Operator) continue;
            if (s is "(" or "[" or "{") depth++;
            else if (s is ")" or "]" or "}") depth--;
            else if (s == "," && depth == 0) { args.Add((start, k)); start = k + 1; }
        }
        args.Add((start, close));
        return args;
    }

    static List<Tok> Copy(List<Tok> t, int start, int end) =>
        t.Skip(start).Take(end - start).Select(x => new Tok(x.Kind, x.Text, x.Space)).ToList();

    internal static string Pascal(string name)
    {
        if (name.StartsWith('@')) name = name[1..];
        return name.Length == 0 || !char.IsLower(name[0]) ? name : char.ToUpperInvariant(name[0]) + name[1..];
    }

    /// <summary>C-style array declarators move to the type: byte b[] -> byte[] b. A declarator
    /// list (int a[], b;) is refused: moving the brackets would change b's type.</summary>
    static string? ArrayDeclaratorsRule(List<Tok> t)
    {
        int depth = 0;
        for (int i = 0; i + 2 < t.Count; i++)
        {
            var s = t[i].Text;
            if (s == "(") depth++;
            else if (s == ")") depth--;
            if (t[i].Kind != JavaTokenKind.Identifier || !char.IsLower(s.TrimStart('@')[0]) || t[i + 1].Text != "[" || t[i + 2].Text != "]") continue;
            int end = i + 1;
            while (end + 1 < t.Count && t[end].Text == "[" && t[end + 1].Text == "]") end += 2;
            if (depth == 0 && DeclaresMore(t, end)) return "C-style array declarator list";
            var brackets = t.GetRange(i + 1, end - i - 1);
            t.RemoveRange(i + 1, end - i - 1);
            brackets[0].Space = false;
            t.InsertRange(i, brackets);
            t[i + brackets.Count].Space = true;
            i += brackets.Count;
        }
        return null;
    }

    /// <summary>Whether the local declaration going on at <paramref name="from"/> declares
    /// another variable: a ',' at its top level before its ';'.</summary>
    static bool DeclaresMore(List<Tok> t, int from)
    {
        int nest = 0;
        for (int k = from; k < t.Count; k++)
        {
            var s = t[k].Text;
            if (s is "(" or "[" or "{") nest++;
            else if (s is ")" or "]" or "}") { if (--nest < 0) return false; }
            else if (nest == 0 && s == ";") return false;
            else if (nest == 0 && s == ",") return true;
        }
        return false;
    }

    /// <summary>Rewrites literals: long suffix 'l' -> 'L', "1." -> "1.0", and hex or binary
    /// literals beyond the signed range (Java wraps them, C# rejects them) -> unchecked casts.</summary>
    static void LiteralsRule(List<Tok> t)
    {
        foreach (var x in t.Where(x => x.Kind == JavaTokenKind.Number))
        {
            var s = x.Text;
            if (s.EndsWith('l')) s = s[..^1] + "L";
            int dot = s.IndexOf('.');
            if (dot >= 0 && !s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && (dot == s.Length - 1 || !char.IsAsciiDigit(s[dot + 1])))
                s = s[..(dot + 1)] + "0" + s[(dot + 1)..];
            bool isLong = s.EndsWith('L');
            var digits = (isLong ? s[..^1] : s).Replace("_", "");
            if (digits.Length > 2 && digits[0] == '0' && digits[1] is 'x' or 'X' or 'b' or 'B')
            {
                bool hex = digits[1] is 'x' or 'X';
                ulong v = hex ? ulong.Parse(digits[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : Convert.ToUInt64(digits[2..], 2);
                if (!isLong && v > int.MaxValue) s = $"unchecked((int){s})";
                else if (isLong && v > long.MaxValue) s = $"unchecked((long){s[..^1]}UL)";
            }
            x.Text = s;
        }
    }
}
