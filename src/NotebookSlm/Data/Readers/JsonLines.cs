using System.Text.Encodings.Web;
using System.Text.Json;
using NotebookSlm.Checkpoints;
using NotebookSlm.Runtime;

namespace NotebookSlm.Data.Readers;

/// <summary>
/// One parsed line of a JSON Lines file: the object and where it came from, with typed
/// field accessors whose errors name the file, the line and the field.
/// </summary>
public readonly struct JsonLine(string file, long line, JsonElement root)
{
    public string File { get; } = file;
    public long Line { get; } = line;
    public JsonElement Root { get; } = root;

    /// <summary>A required string field.</summary>
    public string RequiredString(string name)
    {
        if (!Root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw new DataFormatException(File, Line, name, "missing; expected a string");
        if (v.ValueKind != JsonValueKind.String)
            throw new DataFormatException(File, Line, name, $"expected a string, found {Describe(v)}");
        return Text(v, name);
    }

    /// <summary>An identifier: a string, or a number kept as its JSON text (Hugging Face
    /// exports write some ids as numbers); null when absent and not required.</summary>
    public string? Id(string name, bool required)
    {
        if (!Root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            return required ? throw new DataFormatException(File, Line, name, "missing; expected a string or a number") : null;
        return v.ValueKind switch
        {
            JsonValueKind.String => Text(v, name),
            JsonValueKind.Number => v.GetRawText(),
            _ => throw new DataFormatException(File, Line, name, $"expected a string or a number, found {Describe(v)}"),
        };
    }

    /// <summary>An optional number; NaN when absent or null.</summary>
    public double OptionalNumber(string name)
    {
        if (!Root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return double.NaN;
        if (v.ValueKind != JsonValueKind.Number)
            throw new DataFormatException(File, Line, name, $"expected a number, found {Describe(v)}");
        return v.GetDouble();
    }

    /// <summary>The string value; invalid UTF-8 inside it surfaces here, not at parse time.</summary>
    string Text(JsonElement v, string name)
    {
        try { return v.GetString()!; }
        catch (InvalidOperationException e) { throw new DataFormatException(File, Line, name, $"expected UTF-8 text: {e.Message}"); }
    }

    static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {v.GetRawText()}",
        _ => v.ValueKind.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// JSON Lines (one JSON object per line) read as UTF-8 bytes, without decoding to UTF-16
/// first: lines are split with a vectorised search for '\n' and parsed straight from the
/// byte buffer. Blank lines are skipped; a UTF-8 byte order mark is allowed.
/// Shared by the JSONL readers and writers.
/// </summary>
public static class JsonLines
{
    /// <summary>Readable output: non-ASCII letters and &lt; &gt; &amp; stay as they are (still valid JSON).</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>Every non-blank line parsed as a JSON object. The element is valid only until
    /// the enumeration moves on: copy out what you need.</summary>
    public static IEnumerable<JsonLine> Read(string path)
    {
        foreach (var (line, bytes) in ByteLines.Read(path, skipBlank: true))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(bytes); }
            catch (JsonException e)
            {
                throw new DataFormatException(path, line, "(json)", $"expected one JSON object per line: {e.Message}");
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new DataFormatException(path, line, "(json)", $"expected a JSON object, found {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}");
                yield return new JsonLine(path, line, doc.RootElement);
            }
        }
    }

    /// <summary>Writes one compact JSON object per line ("\n" endings) through a temp file and a rename.</summary>
    public static void Write<T>(string path, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeFields)
    {
        AtomicFile.Write(path, stream =>
        {
            using var writer = new Utf8JsonWriter(stream, WriterOptions);
            foreach (var item in items)
            {
                writer.WriteStartObject();
                writeFields(writer, item);
                writer.WriteEndObject();
                writer.Flush();
                stream.WriteByte((byte)'\n');
                writer.Reset(stream);
            }
        });
    }
}
