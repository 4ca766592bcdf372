using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace NotebookSlm.Corpora;

/// <summary>A man page as plain text: its NAME line and its sections in order.</summary>
public sealed record ManPage(string File, string Title, string Section, string NameLine, IReadOnlyList<(string Heading, string Body)> Sections)
{
    /// <summary>The body of the first section with this heading (case-insensitive), or null.</summary>
    public string? Get(string heading) =>
        Sections.FirstOrDefault(s => string.Equals(s.Heading, heading, StringComparison.OrdinalIgnoreCase)).Body;

    /// <summary>Every section as "HEADING\nbody", the page as running text.</summary>
    public string Text => string.Join("\n\n", Sections.Select(s => $"{s.Heading}\n{s.Body}"));
}

/// <summary>
/// Reads man pages (Debian's manpages and every installed package's pages) without running
/// <c>man</c>: a small roff reader for the man(7) and mdoc(7) macros that carry text, which
/// drops formatting and keeps words. About 20,000 English pages, 11.6M words, on this machine.
/// </summary>
public static partial class ManPages
{
    /// <summary>English pages under <paramref name="root"/>/man1..man8, sorted, without symlinks.
    /// With <paramref name="packages"/>, only the pages those Debian packages install
    /// (<c>dpkg -L</c>): what a machine happens to have installed besides must not change a corpus.</summary>
    public static IEnumerable<string> Files(string root, IReadOnlyCollection<string>? packages = null)
    {
        HashSet<string>? owned = packages is { Count: > 0 } ? PackageFiles(packages) : null;
        for (int section = 1; section <= 8; section++)
        {
            var dir = Path.Combine(root, $"man{section}");
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal))
            {
                var info = new FileInfo(file);
                if (info.LinkTarget is not null) continue;
                if (owned is not null && !owned.Contains(Path.GetFullPath(file))) continue;
                yield return file;
            }
        }
    }

    static HashSet<string> PackageFiles(IReadOnlyCollection<string> packages)
    {
        var r = Runtime.ProcessRunner.Run("dpkg", ["-L", .. packages]);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"dpkg -L {string.Join(' ', packages)} failed: {r.Stderr.Trim()} (install them, or use RawSources with no ManPagePackages)");
        var output = r.Stdout;
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The roff source of a page, gunzipped if needed.</summary>
    public static string ReadSource(string path)
    {
        using var file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(s, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Parses a page; null for a redirection (<c>.so</c>) or a page with no sections.</summary>
    public static ManPage? Parse(string roff, string file)
    {
        var sections = new List<(string, StringBuilder)>();
        string title = Path.GetFileName(file), sectionNo = "";
        StringBuilder? body = null;
        string? mdocName = null;
        bool noFill = false;

        foreach (var raw in roff.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(".so ", StringComparison.Ordinal) && sections.Count == 0) return null;
            if (line.StartsWith(".\\\"", StringComparison.Ordinal) || line.StartsWith("'\\\"", StringComparison.Ordinal) || line.StartsWith("\\\"", StringComparison.Ordinal))
                continue;
            if (line.Length > 0 && (line[0] == '.' || line[0] == '\''))
            {
                var (macro, args) = SplitRequest(line);
                switch (macro)
                {
                    case "TH" or "Dt":
                        if (args.Count > 0) title = args[0];
                        if (args.Count > 1) sectionNo = args[1];
                        break;
                    case "SH" or "Sh":
                        body = new StringBuilder();
                        sections.Add((Clean(string.Join(' ', args)).ToUpperInvariant(), body));
                        break;
                    case "SS" or "Ss":
                        body?.Append("\n\n").Append(Clean(string.Join(' ', args))).Append('\n');
                        break;
                    case "PP" or "LP" or "P" or "Pp" or "sp" or "TP" or "IP" or "HP" or "Bl" or "El" or "It":
                        body?.Append("\n\n");
                        if (macro is "IP" or "It" && args.Count > 0) body?.Append(Clean(args[0])).Append(' ');
                        break;
                    case "br":
                        body?.Append('\n');
                        break;
                    case "nf" or "EX" or "Bd":
                        noFill = true; body?.Append('\n');
                        break;
                    case "fi" or "EE" or "Ed":
                        noFill = false; body?.Append('\n');
                        break;
                    case "Nm":
                        if (args.Count > 0) mdocName ??= args[0];
                        body?.Append(args.Count > 0 ? args[0] : mdocName ?? "").Append(' ');
                        break;
                    case "Nd":
                        body?.Append("- ").Append(Clean(string.Join(' ', args))).Append(' ');
                        break;
                    case "B" or "I" or "SM" or "SB" or "Em" or "Sy" or "Ar" or "Fl" or "Cm" or "Pa" or "Va" or "Fn" or "Xr" or "Li" or "Dq" or "Qq" or "Sq" or "Ql" or "Ev":
                        body?.Append(Clean(string.Join(' ', args))).Append(macro == "Fl" ? "" : " ");
                        break;
                    case "BR" or "RB" or "BI" or "IB" or "IR" or "RI":
                        body?.Append(Clean(string.Join("", args))).Append(' ');
                        break;
                    default:
                        break;   // layout requests (.ft, .in, .ne, .de ...) carry no text
                }
                continue;
            }
            if (body is null) continue;
            var text = Clean(line);
            body.Append(text).Append(noFill ? "\n" : " ");
        }

        if (sections.Count == 0) return null;
        var result = sections
            .Select(s => (s.Item1, NormalizeSpace(s.Item2.ToString())))
            .Where(s => s.Item2.Length > 0)
            .ToList();
        var nameLine = result.FirstOrDefault(s => s.Item1 == "NAME").Item2 ?? "";
        return new ManPage(file, title, sectionNo, nameLine, result);
    }

    static (string Macro, List<string> Args) SplitRequest(string line)
    {
        var rest = line[1..].TrimStart();
        int sp = rest.IndexOfAny([' ', '\t']);
        var macro = sp < 0 ? rest : rest[..sp];
        var args = new List<string>();
        if (sp >= 0)
            foreach (Match m in ArgPattern().Matches(rest[sp..]))
                args.Add(m.Groups[1].Success ? m.Groups[1].Value.Replace("\"\"", "\"") : m.Groups[2].Value);
        return (macro, args);
    }

    static readonly (string Escape, string Text)[] Named =
    [
        ("\\(em", "\u2014"), ("\\(en", "\u2013"), ("\\(aq", "'"), ("\\(lq", "\u201c"), ("\\(rq", "\u201d"),
        ("\\(oq", "\u2018"), ("\\(cq", "\u2019"), ("\\(bu", "\u2022"), ("\\(co", "\u00a9"), ("\\(rg", "\u00ae"),
        ("\\(mu", "\u00d7"), ("\\(de", "\u00b0"), ("\\(ti", "~"), ("\\(ha", "^"), ("\\(dq", "\""),
        ("\\(Fo", "\u00ab"), ("\\(Fc", "\u00bb"), ("\\(ga", "`"), ("\\(rs", "\\"), ("\\(>=", "\u2265"), ("\\(<=", "\u2264"),
        ("\\*(lq", "\u201c"), ("\\*(rq", "\u201d"), ("\\*(Aq", "'"), ("\\*(Dq", "\""), ("\\*(dg", "\u2020"),
        ("\\e", "\\"), ("\\-", "-"), ("\\ ", " "), ("\\~", " "), ("\\0", " "), ("\\|", ""), ("\\^", ""), ("\\&", ""),
        ("\\%", ""), ("\\:", ""), ("\\c", ""), ("\\/", ""), ("\\,", ""), ("\\.", "."), ("\\'", "'"), ("\\`", "`"),
    ];

    /// <summary>Drops font and size escapes and resolves the common named characters.</summary>
    public static string Clean(string s)
    {
        if (s.IndexOf('\\') < 0) return s;
        s = FontEscape().Replace(s, "");
        foreach (var (e, t) in Named) s = s.Replace(e, t, StringComparison.Ordinal);
        s = OtherEscape().Replace(s, "");
        return s;
    }

    static string NormalizeSpace(string s)
    {
        var paragraphs = ParagraphBreak().Split(s).Select(p => Spaces().Replace(p, " ").Trim()).Where(p => p.Length > 0);
        return string.Join("\n\n", paragraphs);
    }

    [GeneratedRegex("\"((?:[^\"]|\"\")*)\"|(\\S+)")] private static partial Regex ArgPattern();
    [GeneratedRegex(@"\\f(\[[^\]]*\]|\(..|.)|\\s[+-]?\d+|\\s\[[^\]]*\]")] private static partial Regex FontEscape();
    [GeneratedRegex(@"\\\*\[[^\]]*\]|\\\*\(..|\\\*.|\\\(..|\\\[[^\]]*\]|\\[a-zA-Z](\[[^\]]*\]|'[^']*')?")] private static partial Regex OtherEscape();
    [GeneratedRegex(@"\n\s*\n")] private static partial Regex ParagraphBreak();
    [GeneratedRegex(@"[ \t\n]+")] private static partial Regex Spaces();
}
