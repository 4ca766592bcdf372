namespace NotebookSlm.Data.Readers;

/// <summary>
/// Pretraining documents as JSON Lines, one <c>{"id": str, "text": str, "score": number?}</c>
/// per line: the format of the edu-local corpus. Extra fields (e.g. "source") are ignored;
/// a missing or null score reads as NaN.
/// </summary>
public static class DocumentsJsonl
{
    /// <summary>Streams the documents of a file.</summary>
    public static IEnumerable<Document> Read(string path)
    {
        foreach (var o in JsonLines.Read(path))
            yield return new Document(o.RequiredString("id"), o.RequiredString("text"), o.OptionalNumber("score"));
    }

    /// <summary>Writes id, text and score (omitted when NaN, which JSON cannot hold).</summary>
    public static void Write(string path, IEnumerable<Document> documents) =>
        JsonLines.Write(path, documents, (w, d) =>
        {
            w.WriteString("id", d.Id);
            w.WriteString("text", d.Text);
            if (double.IsInfinity(d.Score))
                throw new ArgumentException($"{path}: document '{d.Id}' has score {d.Score}; expected a finite number or NaN (absent)");
            if (!double.IsNaN(d.Score)) w.WriteNumber("score", d.Score);
        });
}
