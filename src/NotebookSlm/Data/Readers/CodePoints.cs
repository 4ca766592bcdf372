namespace NotebookSlm.Data.Readers;

/// <summary>Converts between code point offsets (Python string indices, as in SQuAD's
/// answer_start) and UTF-16 offsets (.NET string indices). Identical unless the text holds
/// characters outside the Basic Multilingual Plane; then a linear walk is needed.</summary>
public static class CodePoints
{
    /// <summary>The UTF-16 index of code point <paramref name="offset"/>; -1 when negative or past the end.</summary>
    public static int ToUtf16(string text, int offset)
    {
        if (offset < 0) return -1;
        int firstSurrogate = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (firstSurrogate < 0 || offset <= firstSurrogate) return offset <= text.Length ? offset : -1;
        int i = 0;
        for (int cp = 0; cp < offset; cp++)
        {
            if (i >= text.Length) return -1;
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        }
        return i <= text.Length ? i : -1;
    }

    /// <summary>The code point offset of UTF-16 index <paramref name="index"/>.</summary>
    public static int FromUtf16(string text, int index)
    {
        if (text.AsSpan(0, Math.Clamp(index, 0, text.Length)).IndexOfAnyInRange('\uD800', '\uDFFF') < 0) return index;
        int pairs = 0;
        for (int i = 0; i + 1 < index && i + 1 < text.Length; i++)
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1])) { pairs++; i++; }
        return index - pairs;
    }
}
