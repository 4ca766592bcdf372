using System.Text.RegularExpressions;
using static NotebookSlm.Corpora.JavaApiMap;

namespace NotebookSlm.Corpora;

/// <summary>
/// The refusal rule of the Java -> C# translator: constructs whose C# form would need types,
/// restructuring or different semantics, so a method holding one is skipped (and counted by
/// reason) instead of being translated wrongly. Reasons read "&lt;category&gt;[: detail]".
/// </summary>
public static partial class JavaToCSharpChecks
{
    public static string? Refusal(IReadOnlyList<JavaToken> t)
    {
        var texts = t.Select(x => x.Text).ToList();
        for (int k = 0; k < t.Count; k++)
        {
            var x = t[k];
            string s = x.Text, prev = k > 0 ? t[k - 1].Text : "", next = k + 1 < t.Count ? t[k + 1].Text : "";
            switch (x.Kind)
            {
                case JavaTokenKind.Unknown: return $"unlexable character: {s}";
                case JavaTokenKind.TextBlock: return "text block";
                case JavaTokenKind.Number:
                    if (Octal().IsMatch(s)) return "octal literal";
                    if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && s.IndexOfAny(['p', 'P']) > 0) return "hex float literal";
                    continue;
                case JavaTokenKind.String or JavaTokenKind.Char:
                    if (BadEscape().IsMatch(s)) return "octal or \\s escape";
                    continue;
            }
            switch (s)
            {
                case "->": return "lambda";
                case "::": return "method reference";
                case "switch" or "case": return "switch";
                case "class" or "interface" or "enum": return prev == "." ? "class literal" : "local or anonymous type";
                case "extends": return "bounded type parameter";
                case "default": return "interface default method";
                case "native": return "native method";
                case "strictfp" or "transient" or "volatile": return $"java-only modifier: {s}";
                case "super" when next != ".": return "super call";
                case "this" when next == "(": return "constructor call";
                case "?" when prev is "<" or "," && next is "extends" or "super" or ">" or "," or ">>" or ">>>": return "generic wildcard";
                case "<" when next == ">": return "diamond";
                case "." when next == "new": return "qualified new";
                case "." when next == "this": return "qualified this";
                case "." when next == "<": return "explicit type arguments";
                case "." when next is "clone" or "isEmpty" && k + 2 < t.Count && t[k + 2].Text == "(": return $"type-dependent call: {next}()";
                case "try" when next == "(": return "try-with-resources";
                case "break" or "continue" when t.Count > k + 1 && t[k + 1].Kind == JavaTokenKind.Identifier: return "labeled jump";
                case "catch" when next == "(":
                    int close = Close(texts, k + 1);
                    if (texts.Skip(k + 2).Take(close - k - 2).Contains("|")) return "multi-catch";
                    continue;
                case "new":
                    if (NewRefusal(texts, k) is { } why) return why;
                    continue;
            }
            if (x.Kind != JavaTokenKind.Identifier || prev == "@") continue;     // annotation names: the annotation is dropped
            if (s.Contains('$')) return "dollar identifier";
            if (next == ":" && prev is ";" or "{" or "}") return "label";
            if (JavaOnly.Contains(s)) return $"java-only api: {s}";
            if (Boxed.ContainsKey(s) && next != "." && !(prev is "<" or "," && next is ">" or "," or ">>" or ">>>"))
                return $"boxed type: {s}";
            if ((s.EndsWith("Exception", StringComparison.Ordinal) || s.EndsWith("Error", StringComparison.Ordinal))
                && char.IsUpper(s[0]) && next != "." && prev != "." && !Exceptions.ContainsKey(s))
                return $"unmapped exception: {s}";
        }
        return null;
    }

    /// <summary>After 'new': an anonymous class body, or an array creation with two sizes.</summary>
    static string? NewRefusal(List<string> t, int at)
    {
        int j = at + 1;
        while (j < t.Count && (char.IsLetter(t[j][0]) || t[j] == "." || t[j] == "_"))
        {
            j++;
            if (j < t.Count && t[j] == "<") { int end = MatchAngle(t, j); if (end <= j) return null; j = end + 1; }
        }
        if (j >= t.Count) return null;
        if (t[j] == "(")
        {
            int close = Close(t, j);
            return close + 1 < t.Count && t[close + 1] == "{" ? "anonymous class" : null;
        }
        if (t[j] == "[" && j + 1 < t.Count && t[j + 1] != "]")
        {
            int close = Close(t, j);
            if (close + 2 < t.Count && t[close + 1] == "[" && t[close + 2] != "]") return "multi-dimensional array creation";
        }
        return null;
    }

    static int Close(List<string> t, int open)
    {
        string o = t[open], c = o == "(" ? ")" : o == "[" ? "]" : "}";
        int depth = 0;
        for (int k = open; k < t.Count; k++)
        {
            if (t[k] == o) depth++;
            else if (t[k] == c && --depth == 0) return k;
        }
        return t.Count - 1;
    }

    /// <summary>The index of the '&gt;' closing the type-argument list opened at
    /// <paramref name="open"/> ('&gt;&gt;' and '&gt;&gt;&gt;' close two and three), or open when unbalanced.</summary>
    public static int MatchAngle(IReadOnlyList<string> t, int open)
    {
        int depth = 0;
        for (int k = open; k < t.Count; k++)
        {
            depth += t[k] switch { "<" => 1, ">" => -1, ">>" => -2, ">>>" => -3, _ => 0 };
            if (depth <= 0) return k;
            if (t[k] is "(" or ")" or "{" or ";") break;
        }
        return open;
    }

    /// <summary>Whether an expression needs parentheses as the left operand of a binary
    /// '-': it has an operator of lower precedence than '-' at its top level.</summary>
    public static bool NeedsParensAsLeftOperand(IReadOnlyList<string> e)
    {
        int depth = 0;
        foreach (var s in e)
        {
            if (s is "(" or "[") depth++;
            else if (s is ")" or "]") depth--;
            else if (depth == 0 && s is "<<" or ">>" or ">>>" or "<" or ">" or "<=" or ">=" or "==" or "!=" or "&" or "^" or "|"
                     or "&&" or "||" or "?" or ":" or "instanceof" or "is" || (depth == 0 && s.Length > 1 && s.EndsWith('=') && s is not ("==" or "!=" or "<=" or ">=")))
                return true;
            else if (depth == 0 && s == "=") return true;
        }
        return false;
    }

    [GeneratedRegex(@"^0[0-7_]+[lL]?$")] private static partial Regex Octal();
    [GeneratedRegex(@"(?<!\\)(\\\\)*\\([1-7]|0[0-7]|s)")] private static partial Regex BadEscape();
}
