namespace NotebookSlm.Data;

/// <summary>A cleaned document from one raw source: its source name, its id
/// ("&lt;source&gt;/&lt;path-or-key&gt;") and its paragraphs, none of which holds a blank line.
/// What <see cref="Dedup"/> and <see cref="Decontamination"/> take and return.</summary>
public sealed record SourceDocument(string Source, string Id, IReadOnlyList<string> Paragraphs)
{
    /// <summary>The paragraphs joined by blank lines: the text written to the corpus.</summary>
    public string Text => string.Join("\n\n", Paragraphs);

    /// <summary>Whitespace-separated words over all paragraphs.</summary>
    public int Words => Paragraphs.Sum(DataFormats.Words);
}
