using System.Text.Json;

namespace NotebookSlm.Data.Readers;

/// <summary>
/// Finds the line of a JSON path such as <c>data[3].paragraphs[0].qas[2].id</c> in a JSON
/// text, so that errors found while walking a parsed document can name a line. Runs only
/// when an error is reported: it descends with Utf8JsonReader, skipping every subtree off
/// the path, so it reads at most the bytes before the target once.
/// </summary>
public static class JsonLocator
{
    /// <summary>The 1-based line where the value at <paramref name="path"/> starts; when the
    /// path does not exist, the line of its deepest existing ancestor; 0 for invalid JSON.</summary>
    public static long LineOf(ReadOnlySpan<byte> json, string path)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read()) return 0;
            long found = reader.TokenStartIndex;
            foreach (var segment in Segments(path))
            {
                if (!Descend(ref reader, segment)) break;
                found = reader.TokenStartIndex;
            }
            return 1 + json[..(int)found].Count((byte)'\n');
        }
        catch (JsonException) { return 0; }
    }

    /// <summary>Moves from a container to the value of one of its members; false when absent.</summary>
    static bool Descend(ref Utf8JsonReader reader, object segment)
    {
        if (segment is string name)
        {
            if (reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool match = reader.ValueTextEquals(name);
                reader.Read();
                if (match) return true;
                reader.Skip();
            }
            return false;
        }
        int index = (int)segment;
        if (reader.TokenType != JsonTokenType.StartArray) return false;
        for (int i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            if (i == index) return true;
            reader.Skip();
        }
        return false;
    }

    /// <summary>"a.b[2][0].c" as "a", "b", 2, 0, "c".</summary>
    static List<object> Segments(string path)
    {
        var result = new List<object>();
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            int bracket = part.IndexOf('[');
            var name = bracket < 0 ? part : part[..bracket];
            if (name.Length > 0) result.Add(name);
            while (bracket >= 0)
            {
                int close = part.IndexOf(']', bracket);
                if (close < 0 || !int.TryParse(part.AsSpan(bracket + 1, close - bracket - 1), out int i)) break;
                result.Add(i);
                bracket = part.IndexOf('[', close);
            }
        }
        return result;
    }
}
