using System.Globalization;

namespace NotebookSlm.Corpora;

/// <summary>One WordNet synset: its lemmas (underscores as spaces, adjective markers
/// removed), the definition part of its gloss (before the first quoted example), the
/// lexicographer file it came from (e.g. "noun.animal") and where it was read.</summary>
public sealed record Synset(string Offset, string LexFile, char Pos, IReadOnlyList<string> Lemmas, string Definition, string File, long Line);

/// <summary>
/// Reads the WordNet 3.0 database files data.noun, data.verb, data.adj and data.adv
/// (wngloss(7)/wndb(5) format): "offset lex_filenum ss_type w_cnt word lex_id ... | gloss".
/// Licence header lines (starting with two spaces) are skipped. The files are ordered by
/// byte offset, which groups synsets by lexicographer file.
/// </summary>
public static class WordNetData
{
    /// <summary>The data files in the order they are read.</summary>
    public static readonly string[] DataFiles = ["data.noun", "data.verb", "data.adj", "data.adv"];

    /// <summary>Lexicographer file names by number (lexnames(5)).</summary>
    static readonly string[] LexNames =
    [
        "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
        "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
        "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
        "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
        "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition", "verb.consumption",
        "verb.contact", "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession",
        "verb.social", "verb.stative", "verb.weather", "adj.ppl",
    ];

    /// <summary>The synsets of one data file, in file order.</summary>
    public static IEnumerable<Synset> Read(string path)
    {
        long lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0 || line.StartsWith("  ", StringComparison.Ordinal)) continue;
            yield return ParseLine(line, path, lineNo);
        }
    }

    /// <summary>Parses one data line; malformed lines raise a DataFormatException naming the field.</summary>
    public static Synset ParseLine(string line, string path, long lineNo)
    {
        int bar = line.IndexOf(" | ", StringComparison.Ordinal);
        if (bar < 0) throw new DataFormatException(path, lineNo, "gloss", "expected ' | ' before the gloss");
        var f = line[..bar].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 6) throw new DataFormatException(path, lineNo, "w_cnt", $"expected offset, lex_filenum, ss_type, w_cnt and words, got {f.Length} fields");
        if (f[0].Length != 8 || !f[0].All(char.IsAsciiDigit)) throw new DataFormatException(path, lineNo, "synset_offset", $"expected 8 digits, got '{f[0]}'");
        if (!int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int lex) || lex >= LexNames.Length)
            throw new DataFormatException(path, lineNo, "lex_filenum", $"expected a number below {LexNames.Length}, got '{f[1]}'");
        if (f[2].Length != 1 || "nvasr".IndexOf(f[2][0]) < 0) throw new DataFormatException(path, lineNo, "ss_type", $"expected one of n v a s r, got '{f[2]}'");
        if (!int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int count) || count < 1 || 4 + 2 * count > f.Length)
            throw new DataFormatException(path, lineNo, "w_cnt", $"expected a hexadecimal word count that fits the line, got '{f[3]}'");
        var lemmas = new List<string>(count);
        for (int k = 0; k < count; k++)
        {
            var w = f[4 + 2 * k];
            int paren = w.IndexOf('(');
            if (paren > 0) w = w[..paren];                // adjective markers: (a), (p), (ip)
            lemmas.Add(w.Replace('_', ' '));
        }
        var gloss = line[(bar + 3)..].Trim();
        int example = gloss.IndexOf("; \"", StringComparison.Ordinal);
        if (example < 0 && gloss.StartsWith('"')) example = 0;
        var definition = (example < 0 ? gloss : gloss[..example]).Trim().TrimEnd(';').Trim();
        if (definition.Length == 0) throw new DataFormatException(path, lineNo, "gloss", "expected a definition before the examples");
        return new Synset(f[0], LexNames[lex], f[2][0], lemmas, definition, path, lineNo);
    }
}
