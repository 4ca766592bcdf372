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
        // Unique per call: two threads (or processes) writing the same path never share a temp file.
        var tmp = full + $".tmp{Environment.ProcessId}-{Guid.NewGuid():N}";
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

/// <summary>
/// Writes a folder whole: its files go into a temporary sibling folder, which is then renamed
/// into place, so a reader never sees half of one (a checkpoint killed mid-write leaves only a
/// <c>.tmp-</c> folder that nothing reads). Files of an existing folder that the new one does
/// not write (a tokenizer put beside a checkpoint, say) are carried over.
/// </summary>
public static class AtomicFolder
{
    public static void Write(string dir, Action<string> write)
    {
        var full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(full);
        var temp = Path.Combine(parent, $".tmp-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            if (Directory.Exists(full))
            {
                foreach (var f in Directory.GetFiles(full))
                    if (!File.Exists(Path.Combine(temp, Path.GetFileName(f)))) File.Copy(f, Path.Combine(temp, Path.GetFileName(f)));
                var old = Path.Combine(parent, $".old-{name}-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(temp, full);
                Directory.Delete(old, recursive: true);
            }
            else Directory.Move(temp, full);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }
}
