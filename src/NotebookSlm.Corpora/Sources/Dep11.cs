using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace NotebookSlm.Corpora;

/// <summary>One AppStream component: its id, package, type and the untranslated ("C")
/// summary and description (the description is an HTML fragment), and the line it starts on.</summary>
public sealed record AppStreamComponent(string Id, string Package, string Type, string? Summary, string? Description, long Line);

/// <summary>
/// Reads Debian's AppStream metadata, DEP-11 YAML (<c>*_dep11_Components-*.yml.gz</c> from
/// apt's lists): a stream of YAML documents separated by <c>---</c>, the first a header
/// (Origin, Time), each other one component. Only the subset DEP-11 uses is understood:
/// block mappings by indentation, plain, single- and double-quoted scalars (folded over
/// lines) and literal/folded block scalars (<c>|</c>, <c>&gt;</c>, with chomping indicators),
/// which is enough for the top-level keys and the language maps of Summary and Description.
/// </summary>
public static class Dep11
{
    /// <summary>The header's Time (e.g. 20230609T082314), which versions the metadata, or "unknown".</summary>
    public static string HeaderTime(string path)
    {
        using var reader = Open(path);
        for (int n = 0; n < 20 && reader.ReadLine() is { } line; n++)
            if (line.StartsWith("Time:", StringComparison.Ordinal)) return line[5..].Trim();
        return "unknown";
    }

    /// <summary>Every component of the file, in file order (the header document, the one
    /// with "File: DEP-11", is skipped).</summary>
    public static IEnumerable<AppStreamComponent> Read(string path)
    {
        using var reader = Open(path);
        var doc = new List<string>();
        long lineNo = 0, docStart = 1;
        while (true)
        {
            var line = reader.ReadLine();
            if (line is not null) lineNo++;
            if (line is null || line == "---")
            {
                if (doc.Count > 0 && !doc.Any(l => l.StartsWith("File: DEP-11", StringComparison.Ordinal)))
                    yield return Parse(doc, path, docStart);
                if (line is null) yield break;
                doc.Clear();
                docStart = lineNo + 1;
                continue;
            }
            doc.Add(line);
        }
    }

    static StreamReader Open(string path)
    {
        var file = File.OpenRead(path);
        Stream s = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        return new StreamReader(s, Encoding.UTF8);
    }

    static AppStreamComponent Parse(List<string> lines, string path, long firstLine)
    {
        string? id = null, package = null, type = null, summary = null, description = null;
        for (int i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || line[0] == ' ' || line[0] == '-' || line[0] == '#') continue;
            int colon = line.IndexOf(':');
            if (colon <= 0) throw new DataFormatException(path, firstLine + i, "key", $"expected 'Key: value' at the top level of a component, got '{Trim(line)}'");
            var key = line[..colon];
            var rest = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "ID": id = Scalar(lines, ref i, rest, 0, path, firstLine); break;
                case "Package": package = Scalar(lines, ref i, rest, 0, path, firstLine); break;
                case "Type": type = Scalar(lines, ref i, rest, 0, path, firstLine); break;
                case "Summary": summary = Untranslated(lines, i, path, firstLine); break;
                case "Description": description = Untranslated(lines, i, path, firstLine); break;
            }
        }
        if (string.IsNullOrEmpty(id)) throw new DataFormatException(path, firstLine, "ID", "every DEP-11 component needs an ID");
        return new AppStreamComponent(id, package ?? "", type ?? "", summary, description, firstLine);
    }

    /// <summary>The "C" entry of the language map that starts below line <paramref name="at"/>.</summary>
    static string? Untranslated(List<string> lines, int at, string path, long firstLine)
    {
        for (int i = at + 1; i < lines.Count && (lines[i].Length == 0 || lines[i][0] == ' '); i++)
        {
            var line = lines[i];
            if (!line.StartsWith("  C:", StringComparison.Ordinal)) continue;
            return Scalar(lines, ref i, line[4..].Trim(), 2, path, firstLine);
        }
        return null;
    }

    /// <summary>A scalar value that starts as <paramref name="rest"/> on line i (of a key at
    /// <paramref name="indent"/>) and may continue on more-indented lines; i moves to its last line.</summary>
    static string Scalar(List<string> lines, ref int i, string rest, int indent, string path, long firstLine)
    {
        int start = i;
        var more = new List<string>();
        while (i + 1 < lines.Count && (lines[i + 1].Trim().Length == 0 || Indent(lines[i + 1]) > indent))
            more.Add(lines[++i]);
        while (more.Count > 0 && more[^1].Trim().Length == 0) { more.RemoveAt(more.Count - 1); i--; }

        if (rest.StartsWith('|') || rest.StartsWith('>')) return Block(rest, more);
        if (rest.StartsWith('"')) return DoubleQuoted(Fold(rest, more, escapedBreaks: true), path, firstLine + start);
        if (rest.StartsWith('\''))
        {
            var s = Fold(rest, more);
            if (s.Length < 2 || s[^1] != '\'') throw new DataFormatException(path, firstLine + start, "scalar", "unterminated single-quoted string");
            return s[1..^1].Replace("''", "'");
        }
        return Fold(rest, more);
    }

    /// <summary>Flow folding: line breaks become spaces, empty lines become newlines; in a
    /// double-quoted scalar a line ending in an unescaped backslash joins the next directly.</summary>
    static string Fold(string first, List<string> more, bool escapedBreaks = false)
    {
        var sb = new StringBuilder(first);
        bool pendingNewline = false;
        foreach (var l in more)
        {
            var t = l.Trim();
            if (t.Length == 0) { sb.Append('\n'); pendingNewline = true; continue; }
            if (escapedBreaks && EndsWithEscape(sb)) sb.Length--;
            else if (!pendingNewline) sb.Append(' ');
            pendingNewline = false;
            sb.Append(t);
        }
        return sb.ToString();
    }

    static bool EndsWithEscape(StringBuilder sb)
    {
        int n = 0;
        for (int k = sb.Length - 1; k >= 0 && sb[k] == '\\'; k--) n++;
        return n % 2 == 1;
    }

    static string Block(string header, List<string> lines)
    {
        bool literal = header[0] == '|';
        char chomp = header.Contains('-') ? '-' : header.Contains('+') ? '+' : ' ';
        int indent = lines.Where(l => l.Trim().Length > 0).Select(Indent).DefaultIfEmpty(0).Min();
        var sb = new StringBuilder();
        bool prevMoreIndented = false;
        for (int k = 0; k < lines.Count; k++)
        {
            var l = lines[k].Length >= indent ? lines[k][indent..] : "";
            bool empty = l.Trim().Length == 0, moreIndented = l.StartsWith(' ');
            bool prevEmpty = k > 0 && lines[k - 1].Trim().Length == 0;
            if (k > 0)                       // folding: an empty line stands for the one line break kept
                sb.Append(literal || empty || moreIndented || prevMoreIndented ? "\n" : prevEmpty ? "" : " ");
            if (!empty) sb.Append(literal ? l : l.TrimEnd());
            prevMoreIndented = moreIndented;
        }
        return chomp == '-' ? sb.ToString().TrimEnd('\n') : sb.ToString().TrimEnd('\n') + "\n";
    }

    static string DoubleQuoted(string s, string path, long line)
    {
        var sb = new StringBuilder();
        for (int k = 1; k < s.Length; k++)
        {
            char c = s[k];
            if (c == '"')
            {
                if (k != s.Length - 1) throw new DataFormatException(path, line, "scalar", "text after the closing quote of a double-quoted string");
                return sb.ToString();
            }
            if (c != '\\') { sb.Append(c); continue; }
            if (k + 1 >= s.Length) break;
            char e = s[++k];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case ' ': sb.Append(' '); break;        // escaped space; an escaped line break was folded to "\ "
                case '/' or '"' or '\\': sb.Append(e); break;
                case 'N': sb.Append('\u0085'); break;
                case '_': sb.Append('\u00a0'); break;
                case 'x' or 'u' or 'U':
                    int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (k + n >= s.Length || !int.TryParse(s.AsSpan(k + 1, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                        throw new DataFormatException(path, line, "scalar", $"bad \\{e} escape in a double-quoted string");
                    sb.Append(char.ConvertFromUtf32(code));
                    k += n;
                    break;
                default: throw new DataFormatException(path, line, "scalar", $"unknown escape \\{e} in a double-quoted string");
            }
        }
        throw new DataFormatException(path, line, "scalar", "unterminated double-quoted string");
    }

    static int Indent(string l)
    {
        int n = 0;
        while (n < l.Length && l[n] == ' ') n++;
        return n;
    }

    static string Trim(string s) => s.Length > 60 ? s[..60] + "..." : s;
}
