using System.Globalization;
using System.Text;
using NotebookSlm.Data.Readers;
using NotebookSlm.Reporting;

namespace NotebookSlm.Data;

/// <summary>Lengths of one text field over Count values: in characters (UTF-16 code units,
/// which are characters for text in the Basic Multilingual Plane), in whitespace-separated
/// words and, when a tokenizer was given, in tokens.</summary>
public sealed record FieldStats(string Name, long Count, Stats Chars, Stats Words, Stats? Tokens);

/// <summary>A numeric column (IELTS band, FineWeb score): how many values are present and
/// missing (NaN), and their range and mean over the present ones.</summary>
public sealed record ValueStats(string Name, long Present, long Missing, double Min, double Mean, double Max);

/// <summary>What <c>slm data inspect</c> prints: counts and field lengths of a dataset file.</summary>
public sealed record DatasetStats(string Format, string Path, long Examples, IReadOnlyList<FieldStats> Fields, IReadOnlyList<ValueStats> Values)
{
    /// <summary>SQuAD only: questions marked is_impossible.</summary>
    public long? Unanswerable { get; init; }

    public FieldStats Field(string name) => Fields.FirstOrDefault(f => f.Name == name)
        ?? throw new KeyNotFoundException($"no field '{name}'; fields: {string.Join(", ", Fields.Select(f => f.Name))}");

    /// <summary>A readable report: the counts, then one row per field and unit.</summary>
    public string ToText()
    {
        static string N(double x, string format) => double.IsNaN(x) ? "-" : x.ToString(format, CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("format    ").Append(Format).Append('\n');
        sb.Append("path      ").Append(Path).Append('\n');
        sb.Append("examples  ").Append(Examples.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (Unanswerable is long u)
            sb.Append("unanswerable  ").Append(u.ToString(CultureInfo.InvariantCulture))
              .Append(" (").Append(N(Examples == 0 ? double.NaN : 100.0 * u / Examples, "F1")).Append("%)\n");
        foreach (var v in Values)
            sb.Append(v.Name).Append("  ").Append(v.Present.ToString(CultureInfo.InvariantCulture)).Append(" present, ")
              .Append(v.Missing.ToString(CultureInfo.InvariantCulture)).Append(" missing; min ").Append(N(v.Min, "G6"))
              .Append(", mean ").Append(N(v.Mean, "F3")).Append(", max ").Append(N(v.Max, "G6")).Append('\n');
        var table = new Table("field", "n", "unit", "min", "mean", "median", "p90", "max");
        foreach (var f in Fields)
        {
            var units = new List<(string, Stats)> { ("chars", f.Chars), ("words", f.Words) };
            if (f.Tokens is not null) units.Add(("tokens", f.Tokens));
            foreach (var (unit, s) in units)
                table.Add(f.Name, f.Count.ToString(CultureInfo.InvariantCulture), unit,
                    N(s.Min, "F0"), N(s.Mean, "F1"), N(s.Median, "F1"), N(s.P90, "F1"), N(s.Max, "F0"));
        }
        sb.Append('\n').Append(table.ToText());
        return sb.ToString();
    }
}

/// <summary>
/// The dataset formats the library reads, by the names <c>slm data inspect --format</c> takes,
/// and the inspection that reads a file through its reader and summarises it. Reader errors
/// (DataFormatException, FileNotFoundException, ...) surface unchanged.
/// </summary>
public static class DataFormats
{
    /// <summary>Format names with what each reads.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> All =
    [
        ("jsonl", "the authors' task JSONL: {\"source\", \"target\", \"id\"?} per line"),
        ("documents", "pretraining documents JSONL: {\"id\", \"text\", \"score\"?} per line"),
        ("squad", "SQuAD 2.0 JSON (data/paragraphs/qas)"),
        ("xsum", "XSum JSONL (Hugging Face export): {\"document\", \"summary\", \"id\"}"),
        ("codexglue", "CodeXGLUE Java-C# pair of files PREFIX.java / PREFIX.cs, one method per line"),
        ("ielts", "IELTS essays CSV with columns prompt, essay, band"),
        ("fineweb", "FineWeb-Edu parquet: text, score?, id?"),
        ("text", "a folder of *.txt files, one document each"),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(f => f.Name).ToArray();

    /// <summary>Reads <paramref name="path"/> as <paramref name="format"/> and measures it;
    /// token lengths only when <paramref name="countTokens"/> is given.</summary>
    public static DatasetStats Inspect(string format, string path, Func<string, int>? countTokens = null)
    {
        var fields = new List<Lengths>();
        Lengths F(string name) { var l = new Lengths(name, countTokens); fields.Add(l); return l; }
        var values = new List<ValueStats>();
        long examples = 0;
        long? unanswerable = null;
        switch (format)
        {
            case "jsonl":
            {
                var (source, target) = (F("source"), F("target"));
                foreach (var p in JsonlPairs.Read(path)) { examples++; source.Add(p.Source); target.Add(p.Target); }
                break;
            }
            case "documents":
            {
                var text = F("text");
                values.Add(Numbers("score", DocumentsJsonl.Read(path).Select(d => { examples++; text.Add(d.Text); return d.Score; })));
                break;
            }
            case "squad":
            {
                // Questions and answers per question (answers of answerable ones); contexts per paragraph.
                var (question, context, answer) = (F("question"), F("context"), F("answer"));
                unanswerable = 0;
                foreach (var a in SquadJson.Read(path))
                    foreach (var p in a.Paragraphs)
                    {
                        context.Add(p.Context);
                        foreach (var q in p.Questions)
                        {
                            examples++;
                            question.Add(q.Question);
                            if (q.IsImpossible) unanswerable++;
                            else answer.Add(q.Answers[0].Text);
                        }
                    }
                break;
            }
            case "xsum":
            {
                var (document, summary) = (F("document"), F("summary"));
                foreach (var x in XsumJsonl.Read(path)) { examples++; document.Add(x.Document); summary.Add(x.Summary); }
                break;
            }
            case "codexglue":
            {
                var (java, cs) = (F("java"), F("cs"));
                foreach (var c in CodeXGlue.Read(path)) { examples++; java.Add(c.Java); cs.Add(c.CSharp); }
                break;
            }
            case "ielts":
            {
                var (prompt, essay) = (F("prompt"), F("essay"));
                values.Add(Numbers("band", IeltsCsv.Read(path).Select(e => { examples++; prompt.Add(e.Prompt); essay.Add(e.Text); return e.Band; })));
                break;
            }
            case "fineweb":
            {
                var text = F("text");
                values.Add(Numbers("score", FineWebParquet.Read(path).Select(d => { examples++; text.Add(d.Text); return d.Score; })));
                break;
            }
            case "text":
            {
                var text = F("text");
                foreach (var d in PlainTextFolder.Read(path)) { examples++; text.Add(d.Text); }
                break;
            }
            default:
                throw new ArgumentException($"unknown data format '{format}'; known formats: {string.Join(", ", Names)}", nameof(format));
        }
        return new DatasetStats(format, path, examples, fields.Select(f => f.Summary()).ToList(), values) { Unanswerable = unanswerable };
    }

    /// <summary>Count of present and missing (NaN) values, and min, mean, max of the present.</summary>
    public static ValueStats Numbers(string name, IEnumerable<double> values)
    {
        long present = 0, missing = 0;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        foreach (var v in values)
        {
            if (double.IsNaN(v)) { missing++; continue; }
            present++; sum += v;
            min = Math.Min(min, v); max = Math.Max(max, v);
        }
        return present == 0 ? new(name, 0, missing, double.NaN, double.NaN, double.NaN) : new(name, present, missing, min, sum / present, max);
    }

    /// <summary>Whitespace-separated words: runs of non-white-space characters.</summary>
    public static int Words(string text)
    {
        int n = 0;
        bool inWord = false;
        foreach (var c in text)
        {
            bool white = char.IsWhiteSpace(c);
            if (!white && !inWord) n++;
            inWord = !white;
        }
        return n;
    }

    /// <summary>Collects the lengths of one field.</summary>
    sealed class Lengths(string name, Func<string, int>? countTokens)
    {
        readonly List<int> chars = [], words = [], tokens = [];

        public void Add(string text)
        {
            chars.Add(text.Length);
            words.Add(Words(text));
            if (countTokens is not null) tokens.Add(countTokens(text));
        }

        public FieldStats Summary() => new(name, chars.Count, Stats.Of(chars), Stats.Of(words),
            countTokens is null ? null : Stats.Of(tokens));
    }
}
