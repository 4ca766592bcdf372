using System.Text;
using NotebookSlm.Checkpoints;
using NotebookSlm.Runtime;

namespace NotebookSlm.Data.Readers;

/// <summary>
/// CodeXGLUE code-to-code translation (Java to C#): two parallel files with one method per
/// line, named <c>{split}.java-cs.txt.java</c> and <c>{split}.java-cs.txt.cs</c>. Read takes
/// the common prefix (<c>.../test.java-cs.txt</c>) or either file's path. Line k of one file
/// translates line k of the other, so the line counts must match; an empty (or blank) line
/// is an error because it would pair code with nothing.
/// </summary>
public static class CodeXGlue
{
    /// <summary>The two file paths for a prefix, a .java path or a .cs path.</summary>
    public static (string Java, string CSharp) Paths(string path)
    {
        var prefix = path.EndsWith(".java", StringComparison.Ordinal) && File.Exists(path) ? path[..^".java".Length]
            : path.EndsWith(".cs", StringComparison.Ordinal) && File.Exists(path) ? path[..^".cs".Length]
            : path;
        var (java, cs) = (prefix + ".java", prefix + ".cs");
        foreach (var f in new[] { java, cs })
            if (!File.Exists(f))
                throw new FileNotFoundException($"{f}: not found; CodeXGLUE code-to-code data is a pair of files {prefix}.java and {prefix}.cs", f);
        return (java, cs);
    }

    /// <summary>Streams the pairs, line by line from both files.</summary>
    public static IEnumerable<CodePair> Read(string path)
    {
        var (javaPath, csPath) = Paths(path);
        using var java = ByteLines.Read(javaPath, skipBlank: false).GetEnumerator();
        using var cs = ByteLines.Read(csPath, skipBlank: false).GetEnumerator();
        long line = 0;
        while (true)
        {
            bool hasJava = java.MoveNext(), hasCs = cs.MoveNext();
            if (!hasJava || !hasCs)
            {
                if (!hasJava && !hasCs) yield break;
                long javaLines = line + (hasJava ? 1 + Rest(java) : 0);
                long csLines = line + (hasCs ? 1 + Rest(cs) : 0);
                throw new DataFormatException(javaPath, 0, "(lines)",
                    $"has {javaLines} lines but {csPath} has {csLines}; expected one C# method per Java method, line by line");
            }
            line++;
            var j = Line(java.Current.Bytes.Span, javaPath, line, "java");
            var c = Line(cs.Current.Bytes.Span, csPath, line, "cs");
            yield return new CodePair(j, c);
        }
    }

    static string Line(ReadOnlySpan<byte> bytes, string path, long line, string field)
    {
        var text = ByteLines.Decode(bytes, path, line, field);
        if (string.IsNullOrWhiteSpace(text))
            throw new DataFormatException(path, line, field, $"empty line; expected one {(field == "java" ? "Java" : "C#")} method per line");
        return text;
    }

    /// <summary>Writes prefix.java and prefix.cs, one method per line ("\n" endings). Code
    /// with a line break or an empty method cannot be represented and is rejected.</summary>
    public static void Write(string prefix, IEnumerable<CodePair> pairs)
    {
        var java = new StringBuilder();
        var cs = new StringBuilder();
        int i = 0;
        foreach (var p in pairs)
        {
            Append(java, p.Java, i, "Java");
            Append(cs, p.CSharp, i, "CSharp");
            i++;
        }
        AtomicFile.WriteText(prefix + ".java", java.ToString());
        AtomicFile.WriteText(prefix + ".cs", cs.ToString());
    }

    static void Append(StringBuilder sb, string code, int index, string field)
    {
        if (string.IsNullOrWhiteSpace(code) || code.AsSpan().IndexOfAny('\n', '\r') >= 0)
            throw new ArgumentException($"pair {index}: {field} must be one non-empty line (CodeXGLUE holds one method per line)");
        sb.Append(code).Append('\n');
    }

    static long Rest(IEnumerator<(long Line, ReadOnlyMemory<byte> Bytes)> lines)
    {
        long n = 0;
        while (lines.MoveNext()) n++;
        return n;
    }
}
