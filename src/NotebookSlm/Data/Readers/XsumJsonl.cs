namespace NotebookSlm.Data.Readers;

/// <summary>
/// XSum as exported from the Hugging Face dataset: JSON Lines with "document", "summary" and
/// "id" (a string such as "29750031"; a number is accepted and kept as its text).
/// </summary>
public static class XsumJsonl
{
    /// <summary>Streams the examples of a file.</summary>
    public static IEnumerable<XsumExample> Read(string path)
    {
        foreach (var o in JsonLines.Read(path))
            yield return new XsumExample(o.Id("id", required: true)!, o.RequiredString("document"), o.RequiredString("summary"));
    }

    /// <summary>Writes document, summary and id in the Hugging Face export's order.</summary>
    public static void Write(string path, IEnumerable<XsumExample> examples) =>
        JsonLines.Write(path, examples, (w, x) =>
        {
            w.WriteString("document", x.Document);
            w.WriteString("summary", x.Summary);
            w.WriteString("id", x.Id);
        });
}
