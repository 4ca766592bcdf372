using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace NotebookSlm.Runtime;

/// <summary>
/// JSON for the configuration records (model and training): snake_case keys, enums as
/// snake_case strings, unknown keys are errors, and <c>key=value</c> overrides from the CLI
/// and scripts checked against the keys the record has. One implementation, so that every
/// configuration file and override behaves the same way.
/// </summary>
public static class JsonRecords
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The same, for records that hold measurements (checkpoint state, metrics): a
    /// NaN or infinite loss is written as "NaN" or "Infinity", not refused, so that the step
    /// that diverged is on record.</summary>
    public static JsonSerializerOptions Measurements { get; } = new(Options) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Reads a record; a syntax error, an unknown key or a wrong type becomes
    /// <paramref name="error"/>(message naming the source, line and JSON path).</summary>
    public static T FromJson<T>(string json, string source, Func<string, Exception> error) where T : class
    {
        T? value;
        try { value = JsonSerializer.Deserialize<T>(json, Options); }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}";
            var line = e.LineNumber is long l ? $" line {l + 1}" : "";
            throw error($"{source}{line}{where}: {e.Message}");
        }
        return value ?? throw error($"{source}: empty configuration");
    }

    /// <summary>The snake_case keys a record has (what overrides may name).</summary>
    public static IReadOnlyList<string> Keys<T>(T value) =>
        JsonNode.Parse(ToJson(value))!.AsObject().Select(kv => kv.Key).ToList();

    /// <summary>
    /// Applies <c>key=value</c> overrides (snake_case or PascalCase keys) to a record and reads
    /// it back through <paramref name="fromJson"/> (which validates). A value takes the JSON kind
    /// of the key's current value: string (enums too), boolean or number. An unknown key is an
    /// error listing the known ones.
    /// </summary>
    public static T WithOverrides<T>(T value, IEnumerable<KeyValuePair<string, string>> overrides,
        Func<string, string, T> fromJson, Func<string, Exception> error)
    {
        var node = JsonNode.Parse(ToJson(value))!.AsObject();
        foreach (var (rawKey, text) in overrides)
        {
            var key = JsonNamingPolicy.SnakeCaseLower.ConvertName(rawKey.Trim());
            if (!node.ContainsKey(key))
                throw error($"unknown config key '{rawKey}'; known keys: {string.Join(", ", node.Select(kv => kv.Key))}");
            node[key] = node[key]?.GetValueKind() switch
            {
                JsonValueKind.True or JsonValueKind.False => bool.TryParse(text, out var b) ? JsonValue.Create(b)
                    : throw error($"config key '{rawKey}' expects true or false (got '{text}')"),
                JsonValueKind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    ? JsonValue.Create(d) : throw error($"config key '{rawKey}' expects a number (got '{text}')"),
                _ => JsonValue.Create(text),
            };
        }
        return fromJson(node.ToJsonString(), "overrides");
    }

    /// <summary>Parses "a=1,b=2" into pairs.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ParseOverrides(string text, Func<string, Exception> error) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(kv =>
        {
            int eq = kv.IndexOf('=');
            if (eq <= 0) throw error($"override '{kv}' is not of the form key=value");
            return new KeyValuePair<string, string>(kv[..eq], kv[(eq + 1)..]);
        });
}
