using System.Text;

namespace NotebookSlm.Runtime;

/// <summary>Writes a file through a temp file in the same folder and a rename, so a crash or a
/// full disk never leaves a half-written file where a good one was.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".tmp{Environment.ProcessId}";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            throw;
        }
    }

    public static void WriteText(string path, string text) =>
        Write(path, s => { var b = Encoding.UTF8.GetBytes(text); s.Write(b); });
}
