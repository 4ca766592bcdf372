using System.Buffers;
using System.Text;
using System.Text.Unicode;
using NotebookSlm.Checkpoints;
using NotebookSlm.Runtime;

namespace NotebookSlm.Data.Readers;

/// <summary>
/// A folder of plain text: every <c>*.txt</c> below it, recursively, in ordinal order of the
/// relative path, one Document each (id = relative path with '/', score NaN). Files must be
/// UTF-8; invalid bytes are an error naming the file and the line instead of being replaced.
/// </summary>
public static class PlainTextFolder
{
    /// <summary>The relative paths ('/'-separated) of the .txt files, sorted ordinally.</summary>
    public static IReadOnlyList<string> Files(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: not a folder; expected a folder of .txt files");
        return Directory.EnumerateFiles(folder, "*.txt", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Streams the documents, one file at a time.</summary>
    public static IEnumerable<Document> Read(string folder)
    {
        foreach (var rel in Files(folder))
            yield return new Document(rel, ReadText(Path.Combine(folder, rel)), double.NaN);
    }

    /// <summary>A file's text; a leading byte order mark is dropped.</summary>
    public static string ReadText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        var chars = new char[span.Length];   // UTF-8 never needs more UTF-16 units than bytes
        var status = Utf8.ToUtf16(span, chars, out int read, out int written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            long line = 1 + span[..read].Count((byte)'\n');
            throw new DataFormatException(path, line, "(utf-8)", $"invalid UTF-8 at byte {read + (bytes.Length - span.Length)}; expected UTF-8 text");
        }
        return new string(chars, 0, written);
    }

    /// <summary>Writes each document to folder/id as UTF-8 ("\n" kept as given). Ids must be
    /// relative paths ending in .txt, without "..", so that Read returns them unchanged.</summary>
    public static void Write(string folder, IEnumerable<Document> documents)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in documents)
        {
            var id = d.Id;
            if (!id.EndsWith(".txt", StringComparison.Ordinal) || Path.IsPathRooted(id) || id.Contains('\\')
                || id.Split('/').Any(p => p is "" or "." or ".."))
                throw new ArgumentException($"document id '{id}': expected a relative '/'-separated path ending in .txt, without '.' or '..' parts");
            if (!seen.Add(id)) throw new ArgumentException($"document id '{id}' appears twice; one file per id");
            AtomicFile.Write(Path.Combine(folder, id), s => s.Write(new UTF8Encoding(false).GetBytes(d.Text)));
        }
    }
}
