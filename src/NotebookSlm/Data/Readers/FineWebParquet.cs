using NotebookSlm.Checkpoints;
using Parquet;
using Parquet.Schema;
using NotebookSlm.Runtime;

namespace NotebookSlm.Data.Readers;

/// <summary>
/// FineWeb-Edu shards (Hugging Face parquet, Parquet.Net): column text (string, required),
/// score (double or float, optional; null reads as NaN) and id (string, optional; when absent
/// the id is "{file name}:{row}"). Other columns (url, dump, int_score, ...) are not read.
/// Streams one row group at a time, so a 2 GB shard never sits in memory whole.
/// </summary>
public static class FineWebParquet
{
    /// <summary>Rows per row group when writing.</summary>
    public const int RowGroupSize = 10_000;

    /// <summary>Streams the documents of a file.</summary>
    public static IEnumerable<Document> Read(string path)
    {
        using var stream = File.OpenRead(path);
        ParquetReader reader;
        try { reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException)
        {
            throw new DataFormatException(path, 0, "(parquet)", $"expected a parquet file: {e.Message}");
        }
        try
        {
            var fields = reader.Schema.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
            var text = Column(path, fields, "text", required: true, typeof(string), typeof(ReadOnlyMemory<char>))!;
            var score = Column(path, fields, "score", required: false, typeof(double), typeof(float));
            var id = Column(path, fields, "id", required: false, typeof(string), typeof(ReadOnlyMemory<char>));
            long row = 0;
            var name = Path.GetFileName(path);
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int n = checked((int)group.RowCount);
                var texts = new string?[n];
                group.ReadAsync(text, texts.AsMemory()).AsTask().GetAwaiter().GetResult();
                var ids = id is null ? null : new string?[n];
                if (id is not null) group.ReadAsync(id, ids.AsMemory()).AsTask().GetAwaiter().GetResult();
                var scores = score is null ? null : Scores(group, score, n);
                for (int i = 0; i < n; i++, row++)
                {
                    if (texts[i] is null) throw new DataFormatException(path, 0, "text", $"row {row} is null; expected a string");
                    yield return new Document(ids?[i] ?? $"{name}:{row}", texts[i]!, scores?[i] ?? double.NaN);
                }
            }
        }
        finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    static DataField? Column(string path, Dictionary<string, Field> fields, string name, bool required, params Type[] types)
    {
        if (!fields.TryGetValue(name, out var f))
            return required
                ? throw new DataFormatException(path, 0, name, $"no '{name}' column; columns present: {string.Join(", ", fields.Keys)}")
                : null;
        if (f is not DataField df || df.IsArray || !types.Contains(df.ClrType))
            throw new DataFormatException(path, 0, name, $"column '{name}' is {Describe(f)}; expected {(types[0] == typeof(string) ? "a string" : string.Join(" or ", types.Select(t => t.Name)))}");
        return df;
    }

    static string Describe(Field f) => f is DataField df ? (df.IsArray ? $"a list of {df.ClrType.Name}" : df.ClrType.Name) : f.SchemaType.ToString();

    static double[] Scores(ParquetRowGroupReader group, DataField field, int n)
    {
        var result = new double[n];
        if (field.ClrType == typeof(double))
        {
            var values = new double?[n];
            group.ReadAsync(field, values.AsMemory()).AsTask().GetAwaiter().GetResult();
            for (int i = 0; i < n; i++) result[i] = values[i] ?? double.NaN;
        }
        else
        {
            var values = new float?[n];
            group.ReadAsync(field, values.AsMemory()).AsTask().GetAwaiter().GetResult();
            for (int i = 0; i < n; i++) result[i] = values[i] ?? double.NaN;
        }
        return result;
    }

    /// <summary>Writes text, id and score (null when NaN) in row groups of <see cref="RowGroupSize"/>.</summary>
    public static void Write(string path, IEnumerable<Document> documents)
    {
        var textField = new DataField<string>("text");
        var idField = new DataField<string>("id");
        var scoreField = new DataField<double?>("score");
        var schema = new ParquetSchema(textField, idField, scoreField);
        AtomicFile.Write(path, stream =>
        {
            var writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
            var texts = new List<string>(RowGroupSize);
            var ids = new List<string>(RowGroupSize);
            var scores = new List<double?>(RowGroupSize);
            void Flush()
            {
                using var group = writer.CreateRowGroup();
                group.WriteAsync(textField, texts, null).GetAwaiter().GetResult();
                group.WriteAsync(idField, ids, null).GetAwaiter().GetResult();
                group.WriteAsync<double>(scoreField, scores.ToArray().AsMemory(), null, null, default).GetAwaiter().GetResult();
                texts.Clear(); ids.Clear(); scores.Clear();
            }
            foreach (var d in documents)
            {
                texts.Add(d.Text);
                ids.Add(d.Id);
                scores.Add(double.IsNaN(d.Score) ? null : d.Score);
                if (texts.Count == RowGroupSize) Flush();
            }
            if (texts.Count > 0) Flush();
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();   // writes the footer
        });
    }
}
