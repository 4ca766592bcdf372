using System.Globalization;
using System.Text;

namespace NotebookSlm.Evaluation;

/// <summary>
/// The few Python 3 string operations that reference metrics are written in, where .NET's
/// nearest call gives another answer on some characters. A metric that must equal its
/// Python script gets these, not <c>ToLowerInvariant</c> or <c>char.IsWhiteSpace</c>. Both
/// sides read Unicode tables (Python's <c>unicodedata</c> version, .NET's ICU), so they can
/// still differ on characters assigned after the older of the two.
/// </summary>
static class PythonText
{
    /// <summary><c>str.lower()</c>: the full lower-case mapping. It differs from .NET's
    /// invariant (simple) mapping in two places: U+0130 (İ) becomes "i" + U+0307, and a
    /// capital sigma that ends a word becomes ς (Unicode's Final_Sigma condition).</summary>
    public static string Lower(string s)
    {
        var sb = new StringBuilder(s.Length);
        Span<char> units = stackalloc char[2];
        for (int i = 0, n; i < s.Length; i += n)
        {
            var r = At(s, i, out n);
            if (r.Value == 0x130) sb.Append("i\u0307");
            else if (r.Value == 0x3A3) sb.Append(IsFinalSigma(s, i) ? 'ς' : 'σ');
            else sb.Append(units[..Rune.ToLowerInvariant(r).EncodeToUtf16(units)]);
        }
        return sb.ToString();
    }

    /// <summary>Final_Sigma: a cased letter before (skipping case-ignorable characters) and no
    /// cased letter after. Cased and case-ignorable are approximated by general categories
    /// (Lu/Ll/Lt; Mn/Me/Cf/Lm/Sk and the apostrophe, period, colon and middle dot), which
    /// is what CPython's tables say for every letter a Greek word is written with.</summary>
    static bool IsFinalSigma(string s, int at)
    {
        int i = at;
        Rune before;
        do
        {
            if (i == 0) return false;
            Rune.DecodeLastFromUtf16(s.AsSpan(0, i), out before, out int n);
            i -= n;
        } while (IsCaseIgnorable(before));
        if (!IsCased(before)) return false;
        for (int j = at + 1, n; j < s.Length; j += n)
        {
            var after = At(s, j, out n);
            if (!IsCaseIgnorable(after)) return !IsCased(after);
        }
        return true;
    }

    /// <summary>The character at UTF-16 index i and its length in code units; a lone
    /// surrogate reads as U+FFFD.</summary>
    public static Rune At(string s, int i, out int length)
    {
        Rune.DecodeFromUtf16(s.AsSpan(i), out var r, out length);
        return r;
    }

    static bool IsCased(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    static bool IsCaseIgnorable(Rune r) =>
        r.Value is '\'' or '.' or ':' or 0xB7 or 0x2019 or 0x2018 or 0x2024 or 0x387
        || Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;

    /// <summary><c>str.isspace()</c> for one character, the separators of <c>str.split()</c>:
    /// .NET's white space plus U+001C..U+001F, which Python also splits on.</summary>
    public static bool IsSpace(Rune r) => Rune.IsWhiteSpace(r) || r.Value is >= 0x1C and <= 0x1F;

    /// <summary><c>str.split()</c> with no argument: runs of white space separate, and no
    /// empty strings come back.</summary>
    public static List<string> Split(string s)
    {
        var parts = new List<string>();
        int start = -1;
        for (int i = 0, n; i < s.Length; i += n)
        {
            if (IsSpace(At(s, i, out n))) { if (start >= 0) parts.Add(s[start..i]); start = -1; }
            else if (start < 0) start = i;
        }
        if (start >= 0) parts.Add(s[start..]);
        return parts;
    }

    /// <summary>A character of <c>\w</c> in a Python 3 <c>str</c> pattern: <c>isalnum()</c>
    /// (the letter and number categories) or the underscore. Marks are not word characters,
    /// so a combining accent is a word boundary, as in Python.</summary>
    public static bool IsWordChar(Rune r) => r.Value == '_' || Rune.GetUnicodeCategory(r) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary><c>string.punctuation</c>: the 32 ASCII punctuation characters.</summary>
    public const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
}
