using System.Text;

namespace NotebookSlm.Data.Readers;

/// <summary>One CSV record: its fields and the physical line (1-based) where it starts.</summary>
public sealed record CsvRecord(long Line, IReadOnlyList<string> Fields);

/// <summary>
/// RFC 4180 CSV: fields separated by commas, records by CRLF, LF or CR; a field in double
/// quotes may hold commas, line breaks and doubled quotes (<c>""</c> for one quote). Strict
/// where the RFC is: a quote inside an unquoted field, text after a closing quote and an
/// unterminated quote are errors naming the line. Empty lines between records are skipped.
/// Streams the input in 64 KiB blocks.
/// </summary>
public static class Csv
{
    /// <summary>Streams the records of a UTF-8 file (invalid UTF-8 is an error naming the file).</summary>
    public static IEnumerable<CsvRecord> Read(string path)
    {
        using var reader = new StreamReader(path, ByteLines.Strict, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        var chars = new CharSource(reader, path);
        var fields = new List<string>();
        var field = new StringBuilder();
        long line = 1;
        while (chars.Peek() >= 0)
        {
            long start = line;
            if (chars.TakeNewline()) { line++; continue; }   // empty line
            fields.Clear();
            while (true)
            {
                field.Clear();
                if (chars.Peek() == '"')
                {
                    chars.Next();
                    while (true)
                    {
                        int q = chars.Next();
                        if (q < 0) throw new DataFormatException(path, start, $"(column {fields.Count + 1})", "unterminated quoted field; expected a closing '\"'");
                        if (q == '"')
                        {
                            if (chars.Peek() == '"') { chars.Next(); field.Append('"'); continue; }
                            break;
                        }
                        if (q == '\r' && chars.Peek() == '\n') { field.Append('\r'); field.Append((char)chars.Next()); line++; continue; }
                        if (q is '\n' or '\r') line++;
                        field.Append((char)q);
                    }
                    int after = chars.Peek();
                    if (after >= 0 && after is not (',' or '\n' or '\r'))
                        throw new DataFormatException(path, line, $"(column {fields.Count + 1})", $"'{(char)after}' after a closing quote; expected ',' or the end of the record");
                }
                else
                {
                    for (int u = chars.Peek(); u >= 0 && u is not (',' or '\n' or '\r'); u = chars.Peek())
                    {
                        if (u == '"') throw new DataFormatException(path, line, $"(column {fields.Count + 1})", "'\"' inside an unquoted field; expected the whole field in quotes with the quote doubled");
                        field.Append((char)chars.Next());
                    }
                }
                fields.Add(field.ToString());
                if (chars.Peek() == ',') { chars.Next(); continue; }
                if (chars.TakeNewline()) line++;
                break;
            }
            yield return new CsvRecord(start, fields.ToArray());
        }
    }

    /// <summary>A field as written: quoted when it holds a comma, a quote or a line break,
    /// or starts or ends with a space, with quotes doubled.</summary>
    public static string Quote(string field)
    {
        bool needs = field.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (field.Length > 0 && (field[0] == ' ' || field[^1] == ' '));
        return needs ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
    }

    /// <summary>Buffered Peek/Next over a reader; decoding errors name the file.</summary>
    sealed class CharSource(StreamReader reader, string path)
    {
        readonly char[] buffer = new char[1 << 16];
        int pos, len;

        public int Peek() => pos < len || Fill() ? buffer[pos] : -1;
        public int Next() => pos < len || Fill() ? buffer[pos++] : -1;

        /// <summary>Consumes one line break ("\n", "\r\n" or "\r"); false when none is next.</summary>
        public bool TakeNewline()
        {
            int c = Peek();
            if (c is not ('\n' or '\r')) return false;
            Next();
            if (c == '\r' && Peek() == '\n') Next();
            return true;
        }

        bool Fill()
        {
            try { len = reader.Read(buffer, 0, buffer.Length); }
            catch (DecoderFallbackException e) { throw new DataFormatException(path, 0, "(utf-8)", $"invalid UTF-8: {e.Message}"); }
            pos = 0;
            return len > 0;
        }
    }
}
