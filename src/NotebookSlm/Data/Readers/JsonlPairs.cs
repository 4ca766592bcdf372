namespace NotebookSlm.Data.Readers;

/// <summary>
/// The authors' task format: JSON Lines with one <c>{"source": str, "target": str}</c> object
/// per line and an optional "id" (a string, or a number kept as its text). Blank lines are
/// skipped; other fields are ignored.
/// </summary>
public static class JsonlPairs
{
    /// <summary>Streams the pairs of a file.</summary>
    public static IEnumerable<TextPair> Read(string path)
    {
        foreach (var o in JsonLines.Read(path))
            yield return new TextPair(o.RequiredString("source"), o.RequiredString("target"), o.Id("id", required: false));
    }

    /// <summary>Writes source, target and (when set) id, one compact object per line.</summary>
    public static void Write(string path, IEnumerable<TextPair> pairs) =>
        JsonLines.Write(path, pairs, (w, p) =>
        {
            w.WriteString("source", p.Source);
            w.WriteString("target", p.Target);
            if (p.Id is not null) w.WriteString("id", p.Id);
        });
}
