using System.Text;

namespace NotebookSlm.Reporting;

/// <summary>A table printed as aligned plain text for terminals or as Markdown for the README.</summary>
public sealed class Table(params string[] headers)
{
    readonly List<string[]> rows = [];
    public IReadOnlyList<string> Headers => headers;
    public IReadOnlyList<string[]> Rows => rows;

    public Table Add(params object[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"row has {cells.Length} cells, table has {headers.Length} columns");
        rows.Add(cells.Select(c => c switch { double d => d.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), _ => c?.ToString() ?? "" }).ToArray());
        return this;
    }

    /// <summary>A count in the units the paper uses for sizes: 6.8M, 1.02B, 4.1K.</summary>
    public static string Count(long n) => n >= 1_000_000_000 ? $"{n / 1e9:F2}B" : n >= 1_000_000 ? $"{n / 1e6:F1}M" : n >= 1000 ? $"{n / 1e3:F1}K" : n.ToString();

    static readonly System.Text.RegularExpressions.Regex NumberLike =
        new(@"^[+-]?[\d,]*\.?\d+(e[+-]?\d+)?\s*(%|x|k|K|M|B|ms|s|GFLOP|MiB|GiB|tok/s)?$", System.Text.RegularExpressions.RegexOptions.Compiled);

    /// <summary>Numbers (with an optional unit) are right-aligned.</summary>
    static bool Numeric(string s) => NumberLike.IsMatch(s);

    public string ToText()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells) => sb.AppendLine(string.Join("  ", cells.Select((c, i) => Numeric(c) ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        Line(headers);
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in rows) Line(r);
        return sb.ToString();
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", headers) + " |");
        sb.AppendLine("|" + string.Join("|", headers.Select((_, i) => rows.Count > 0 && rows.All(r => Numeric(r[i]) || r[i] == "") ? "---:" : "---")) + "|");
        foreach (var r in rows) sb.AppendLine("| " + string.Join(" | ", r) + " |");
        return sb.ToString();
    }
}
