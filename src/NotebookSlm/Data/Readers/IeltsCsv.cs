using System.Globalization;
using System.Text;
using NotebookSlm.Checkpoints;
using NotebookSlm.Runtime;

namespace NotebookSlm.Data.Readers;

/// <summary>
/// IELTS Task 2 essays as CSV with a header, the layout of the Hugging Face set
/// chillies/IELTS-writing-task-2-evaluation (prompt, essay, evaluation, band). Required
/// columns, matched case-insensitively: prompt, essay, band; others are ignored. band is read
/// with the invariant culture; an empty band is NaN (the essay-local stand-in has no scores).
/// Line numbers in errors are the physical lines where records start.
/// </summary>
public static class IeltsCsv
{
    public static readonly string[] RequiredColumns = ["prompt", "essay", "band"];

    /// <summary>Streams the essays of a file.</summary>
    public static IEnumerable<Essay> Read(string path)
    {
        using var records = Csv.Read(path).GetEnumerator();
        if (!records.MoveNext()) throw new DataFormatException(path, 1, "(header)", $"empty file; expected a header with columns {string.Join(", ", RequiredColumns)}");
        var header = records.Current.Fields;
        var index = new int[RequiredColumns.Length];
        for (int k = 0; k < RequiredColumns.Length; k++)
        {
            index[k] = -1;
            for (int c = 0; c < header.Count && index[k] < 0; c++)
                if (string.Equals(header[c].Trim(), RequiredColumns[k], StringComparison.OrdinalIgnoreCase)) index[k] = c;
            if (index[k] < 0)
                throw new DataFormatException(path, records.Current.Line, RequiredColumns[k],
                    $"missing column; the header has {string.Join(", ", header.Select(h => $"'{h}'"))}; expected {string.Join(", ", RequiredColumns)}");
        }
        while (records.MoveNext())
        {
            var r = records.Current;
            if (r.Fields.Count != header.Count)
                throw new DataFormatException(path, r.Line, "(columns)", $"{r.Fields.Count} fields; expected {header.Count} as in the header");
            yield return new Essay(r.Fields[index[0]], r.Fields[index[1]], Band(r.Fields[index[2]], path, r.Line));
        }
    }

    static double Band(string text, string path, long line)
    {
        if (string.IsNullOrWhiteSpace(text)) return double.NaN;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double band) || !double.IsFinite(band))
            throw new DataFormatException(path, line, "band", $"'{text}' is not a number; expected a band score such as 6.5, or empty");
        return band;
    }

    /// <summary>Writes prompt, essay, band with "\n" line endings, quoting as needed; a NaN band is empty.</summary>
    public static void Write(string path, IEnumerable<Essay> essays) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            w.WriteLine("prompt,essay,band");
            foreach (var e in essays)
            {
                w.Write(Csv.Quote(e.Prompt));
                w.Write(',');
                w.Write(Csv.Quote(e.Text));
                w.Write(',');
                if (double.IsInfinity(e.Band)) throw new ArgumentException($"{path}: band {e.Band} for prompt '{e.Prompt}'; expected a number or NaN (empty)");
                if (!double.IsNaN(e.Band)) w.Write(e.Band.ToString("R", CultureInfo.InvariantCulture));
                w.WriteLine();
            }
        });
}
