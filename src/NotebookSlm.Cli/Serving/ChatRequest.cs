using System.Text.Json;

namespace NotebookSlm.Cli.Serving;

/// <summary>An OpenAI-style request error: HTTP 400 with the field named.</summary>
sealed class RequestException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;
}

/// <summary>
/// The fields of an OpenAI <c>/v1/chat/completions</c> request that this server acts on, read
/// by hand so that each error names its field. Fields it does not act on (penalties, logprobs,
/// user, ...) are ignored, as OpenAI-compatible servers do; ones whose meaning it cannot honour
/// (<c>n</c> above 1, <c>tools</c>) are errors rather than silently different answers.
/// </summary>
sealed record ChatRequest(
    string? Model,
    IReadOnlyList<(string Role, string Content)> Messages,
    int? MaxTokens,
    double Temperature,
    double TopP,
    long? Seed,
    bool Stream,
    bool IncludeUsage,
    IReadOnlyList<string> Stop)
{
    static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant"];

    public static ChatRequest Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new RequestException("the request body must be a JSON object");
        var messages = new List<(string, string)>();
        if (!root.TryGetProperty("messages", out var ms) || ms.ValueKind != JsonValueKind.Array || ms.GetArrayLength() == 0)
            throw new RequestException("'messages' must be a non-empty array of {role, content}", "messages");
        int i = 0;
        foreach (var m in ms.EnumerateArray())
        {
            var where = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                throw new RequestException($"'{where}' needs a string 'role'", where);
            var r = role.GetString()!;
            if (!Roles.Contains(r)) throw new RequestException($"'{where}.role' is '{r}'; this server takes {string.Join(", ", Roles)}", $"{where}.role");
            messages.Add((r, Content(m, where)));
        }
        int? maxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        if (maxTokens is < 1) throw new RequestException("'max_tokens' must be at least 1", "max_tokens");
        double temperature = Number(root, "temperature") ?? 1.0;   // OpenAI's default: sampling at 1
        if (temperature is < 0 or > 2) throw new RequestException($"'temperature' must be in [0, 2] (got {temperature})", "temperature");
        double topP = Number(root, "top_p") ?? 1.0;
        if (topP is <= 0 or > 1) throw new RequestException($"'top_p' must be in (0, 1] (got {topP})", "top_p");
        if (Int(root, "n") is > 1) throw new RequestException("'n' above 1 is not supported: send one request per choice", "n");
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
            throw new RequestException("'tools' are not supported: these models were not trained to call tools", "tools");
        bool stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        bool usage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
                     && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        long? seed = root.TryGetProperty("seed", out var sd) && sd.ValueKind == JsonValueKind.Number
            ? sd.TryGetInt64(out var v) ? v : throw new RequestException("'seed' must be an integer", "seed") : null;
        var model = root.TryGetProperty("model", out var md) && md.ValueKind == JsonValueKind.String ? md.GetString() : null;
        return new ChatRequest(model, messages, maxTokens, temperature, topP, seed, stream, usage, Stops(root));
    }

    /// <summary>A message's text: a string, or the text parts of a list of content parts.</summary>
    static string Content(JsonElement m, string where)
    {
        if (!m.TryGetProperty("content", out var c)) throw new RequestException($"'{where}' needs 'content'", $"{where}.content");
        switch (c.ValueKind)
        {
            case JsonValueKind.String: return c.GetString()!;
            case JsonValueKind.Null: return "";
            case JsonValueKind.Array:
                var parts = new List<string>();
                foreach (var p in c.EnumerateArray())
                {
                    if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("type", out var t) && t.GetString() == "text"
                        && p.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                        parts.Add(text.GetString()!);
                    else throw new RequestException($"'{where}.content' has a part that is not {{\"type\": \"text\", \"text\": ...}}: this server reads text only", $"{where}.content");
                }
                return string.Concat(parts);
            default: throw new RequestException($"'{where}.content' must be a string or a list of text parts", $"{where}.content");
        }
    }

    static IReadOnlyList<string> Stops(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var s) || s.ValueKind == JsonValueKind.Null) return [];
        List<string> stops = s.ValueKind switch
        {
            JsonValueKind.String => [s.GetString()!],
            JsonValueKind.Array when s.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => s.EnumerateArray().Select(e => e.GetString()!).ToList(),
            _ => throw new RequestException("'stop' must be a string or a list of strings", "stop"),
        };
        if (stops.Count > 4 || stops.Any(t => t.Length == 0)) throw new RequestException("'stop' takes up to 4 non-empty strings", "stop");
        return stops;
    }

    static int? Int(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) ? v : throw new RequestException($"'{name}' must be an integer", name);
    }

    static double? Number(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw new RequestException($"'{name}' must be a number", name);
    }

    /// <summary>What the model reads: the messages' texts in order, separated by blank lines.
    /// Our checkpoints are task models, not chat models: a single user message that is a task's
    /// source (ending in its cue, "###Answer") is passed through exactly as training saw it.</summary>
    public string Prompt => string.Join("\n\n", Messages.Select(m => m.Content));
}
