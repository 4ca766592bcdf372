using System.Text.Json.Nodes;

namespace NotebookSlm.Cli.Jobs;

/// <summary>Reading a cell's configuration: typed keys with errors that name the job and the key,
/// override objects, and paths relative to the repository root.</summary>
static class JobConfig
{
    /// <summary>A path of the configuration: relative ones are from the repository root
    /// (NOTEBOOKSLM_ROOT, which the runners pass), so that cell ids do not depend on where a
    /// machine mounts the repository; names such as "bytes" or "phi-3.5" stay as they are.</summary>
    public static string Resolve(string path)
    {
        if (Path.IsPathRooted(path) || !path.Contains('/')) return path;
        var root = Environment.GetEnvironmentVariable("NOTEBOOKSLM_ROOT");
        return string.IsNullOrEmpty(root) ? Path.GetFullPath(path) : Path.Combine(root, path);
    }

    public static string Str(string job, JsonObject c, string key) =>
        c[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new ArgumentException($"{job}: configuration key '{key}' must be a string");

    public static string Str(string job, JsonObject c, string key, string fallback) => c[key] is null ? fallback : Str(job, c, key);

    public static int Int(string job, JsonObject c, string key, int fallback) => c[key] is null ? fallback
        : c[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw new ArgumentException($"{job}: configuration key '{key}' must be an integer");

    /// <summary>An object of overrides as key=value pairs (numbers and booleans as their JSON text).</summary>
    public static IEnumerable<KeyValuePair<string, string>> Overrides(string job, JsonNode? node)
    {
        if (node is null) return [];
        if (node is not JsonObject o) throw new ArgumentException($"{job}: overrides must be an object, got {node.ToJsonString()}");
        return o.Select(kv => KeyValuePair.Create(kv.Key, kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : kv.Value?.ToJsonString() ?? ""));
    }
}
