using System.Text;

namespace NotebookSlm.Data.Readers;

/// <summary>
/// A text file's lines as UTF-8 bytes: read in 1 MiB blocks, split with a vectorised search
/// for '\n', without decoding to UTF-16, so JSON can be parsed straight from the buffer and
/// a decoding error can name its exact line. A UTF-8 byte order mark is skipped.
/// </summary>
public static class ByteLines
{
    /// <summary>Lines with their 1-based numbers, without the line break ("\n" or "\r\n");
    /// blank lines (spaces and tabs only) are skipped when asked. The memory is reused once
    /// the enumeration moves on.</summary>
    public static IEnumerable<(long Line, ReadOnlyMemory<byte> Bytes)> Read(string path, bool skipBlank)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        int start = 0, end = 0;   // unread bytes are buffer[start..end)
        long line = 0;
        bool eof = false, first = true;
        while (true)
        {
            int nl = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (nl >= 0) nl += start;
            if (nl < 0 && !eof)
            {
                // Move the partial line to the front, grow for very long lines, read more.
                if (start > 0) { Buffer.BlockCopy(buffer, start, buffer, 0, end - start); end -= start; start = 0; }
                if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                int n = stream.Read(buffer, end, buffer.Length - end);
                if (n == 0) eof = true; else end += n;
                if (first && end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF) start = 3;
                if (end >= 3 || eof) first = false;
                continue;
            }
            if (nl < 0 && start == end) yield break;
            int stop = nl < 0 ? end : nl;
            line++;
            int len = stop - start;
            if (len > 0 && buffer[start + len - 1] == (byte)'\r') len--;
            var bytes = new ReadOnlyMemory<byte>(buffer, start, len);
            start = nl < 0 ? end : nl + 1;
            if (!skipBlank || !IsBlank(bytes.Span)) yield return (line, bytes);
        }
    }

    static bool IsBlank(ReadOnlySpan<byte> s)
    {
        foreach (var b in s) if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    /// <summary>Decodes one line, rejecting invalid UTF-8 with the file, the line and the field.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string file, long line, string field)
    {
        try { return Strict.GetString(bytes); }
        catch (DecoderFallbackException e) { throw new DataFormatException(file, line, field, $"invalid UTF-8 at byte {e.Index}; expected UTF-8 text"); }
    }

    /// <summary>UTF-8 that throws on invalid bytes instead of substituting U+FFFD.</summary>
    public static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
