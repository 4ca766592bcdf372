using System.Text;
using CsvHelper;

namespace NotebookSlm.Data.Readers;

/// <summary>One CSV record: its fields and the physical line (1-based) where it starts.</summary>
public sealed record CsvRecord(long Line, IReadOnlyList<string> Fields);

/// <summary>
/// RFC 4180 CSV through CsvHelper 34 (its strict mode): fields separated by commas, records by
/// CRLF, LF or CR; a field in double quotes may hold commas, line breaks and doubled quotes
/// (<c>""</c> for one quote). Strict where the RFC is: a quote inside an unquoted field, text
/// after a closing quote and an unterminated quote are errors naming the line where the record
/// starts. Empty lines between records are skipped. Streams the input.
/// Why CsvHelper and not Sep 0.18 (both served): measured on the four malformed cases above,
/// Sep returns data for every one of them (a stray quote swallows the rest of the file into one
/// field, text after a closing quote is glued on, an unterminated quote reads to the end) and has
/// no strict mode, while CsvHelper throws with the reason and the line.
/// </summary>
public static class Csv
{
    /// <summary>Streams the records of a UTF-8 file (invalid UTF-8 is an error naming the file).</summary>
    public static IEnumerable<CsvRecord> Read(string path)
    {
        // Malformed records reach OnMalformedRecord, with their reason and first line, before
        // they would be skipped; it throws instead. (With MalformedData = Throw, CsvHelper's
        // exception carries the line but not the reason.)
        var options = new CsvReaderOptions
        {
            Separator = ',', HasHeader = false, Mode = CsvMode.Rfc4180, AllowLineBreaksInQuotes = true, SkipEmptyLines = true,
            TrimWhitespace = false, FieldCountMismatch = CsvFieldCountHandling.Allow, TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Skip,
            OnMalformedRecord = bad => throw new DataFormatException(path, bad.LineNumber, "(quoting)", Reason(bad.Reason)),
        };
        using var text = new StreamReader(path, ByteLines.Strict, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        using var reader = CsvReader.Create(text, options, leaveOpen: false);
        while (Next(reader, path) is { } record) yield return record;
    }

    static string Reason(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.UnterminatedQuote => "unterminated quoted field; expected a closing '\"'",
        CsvMalformedReason.StrayQuote => "'\"' inside an unquoted field; expected the whole field in quotes with the quote doubled",
        CsvMalformedReason.TextAfterClosingQuote => "text after a closing quote; expected ',' or the end of the record",
        _ => $"malformed record ({reason})",
    };

    /// <summary>The next record, or null at the end; the decoder's errors name the file.</summary>
    static CsvRecord? Next(CsvReader reader, string path)
    {
        try
        {
            if (!reader.Read()) return null;
            return new CsvRecord(reader.LineNumber, reader.Current.ToArray());
        }
        catch (CsvFormatException e) { throw new DataFormatException(path, e.LineNumber, "(quoting)", e.Message); }
        catch (DecoderFallbackException e) { throw new DataFormatException(path, 0, "(utf-8)", $"invalid UTF-8: {e.Message}"); }
    }

    /// <summary>A field as written: quoted when it holds a comma, a quote or a line break,
    /// or starts or ends with a space, with quotes doubled.</summary>
    public static string Quote(string field)
    {
        bool needs = field.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (field.Length > 0 && (field[0] == ' ' || field[^1] == ' '));
        return needs ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
    }
}
