using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace NotebookSlm.Sweeps;

/// <summary>What one cell may use on a machine or a Slurm node: what <c>sbatch</c> is asked for,
/// and what the local runner packs cells by.</summary>
public sealed record CellResources(int Cpus = 1, [property: JsonPropertyName("memory_mib")] int MemoryMiB = 2048, int TimeMinutes = 60)
{
    public CellResources Validate()
    {
        if (Cpus < 1 || MemoryMiB < 64 || TimeMinutes < 1)
            throw new ArgumentException($"cell resources need at least 1 CPU, 64 MiB and 1 minute (got {Cpus} CPUs, {MemoryMiB} MiB, {TimeMinutes} min)");
        return this;
    }
}

/// <summary>One axis of a grid: a configuration key and the values it takes. With
/// <paramref name="Merge"/>, each value is an object whose keys go into the configuration
/// together (several keys that vary as one, such as a model size and its parameter-matched
/// partner).</summary>
public sealed record SweepAxis(string Name, IReadOnlyList<JsonNode?> Values, bool Merge = false);

/// <summary>
/// A grid of independent runs as data: the job every cell runs, the fixed configuration, the
/// axes whose product makes the cells, the resources of one cell, and what versions a cell
/// besides its configuration (the data, and the last commit that changed the job's code).
/// Every table of the paper is one of these (architectures x tasks x seeds, alpha x KD
/// variant, ...), and a sweep runs unchanged on this machine or as a Slurm job array.
/// </summary>
public sealed record SweepSpec
{
    public required string Name { get; init; }
    /// <summary>The job kind each cell runs (<see cref="SweepJobs"/>).</summary>
    public required string Job { get; init; }
    public JsonObject Fixed { get; init; } = new();
    public IReadOnlyList<SweepAxis> Axes { get; init; } = [];
    public CellResources Resources { get; init; } = new();
    /// <summary>Paths (from the repository root) whose last change versions the cells: a commit
    /// that touches none of them leaves every finished cell valid.</summary>
    public IReadOnlyList<string> Code { get; init; } = [];
    /// <summary>The version of the data the cells read (for example a manifest hash).</summary>
    public string DataVersion { get; init; } = "";

    public SweepSpec Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ArgumentException($"sweep name '{Name}' must be letters, digits, '-', '_' or '.'");
        if (string.IsNullOrWhiteSpace(Job)) throw new ArgumentException($"sweep '{Name}' names no job");
        foreach (var a in Axes)
        {
            if (a.Values.Count == 0) throw new ArgumentException($"sweep '{Name}': axis '{a.Name}' has no values");
            if (Fixed.ContainsKey(a.Name)) throw new ArgumentException($"sweep '{Name}': '{a.Name}' is both fixed and an axis");
            if (a.Merge && a.Values.Any(v => v is not JsonObject))
                throw new ArgumentException($"sweep '{Name}': axis '{a.Name}' merges its values into the configuration, so each must be an object");
        }
        var dup = Axes.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"sweep '{Name}': axis '{dup.Key}' appears twice");
        Resources.Validate();
        return this;
    }

    /// <summary>The cells in grid order (the last axis varies fastest). Each description is
    /// self-contained: job, configuration (fixed plus this cell's axis values), the axis values
    /// alone, data version and code version; its id is a hash of it, so an unchanged cell keeps
    /// its id (and its results) and a changed one gets a new id.</summary>
    public IReadOnlyList<CellSpec> Cells(string codeVersion)
    {
        Validate();
        var combos = new List<List<(SweepAxis Axis, JsonNode? Value)>> { new() };
        foreach (var axis in Axes)
            combos = combos.SelectMany(c => axis.Values.Select(v => new List<(SweepAxis, JsonNode?)>(c) { (axis, v) })).ToList();
        return combos.Select(c =>
        {
            var config = (JsonObject)Fixed.DeepClone();
            var axes = new JsonObject();
            foreach (var (axis, value) in c)
            {
                if (axis.Merge)
                    foreach (var (k, v) in (JsonObject)value!) config[k] = v?.DeepClone();
                else config[axis.Name] = value?.DeepClone();
                axes[axis.Name] = value?.DeepClone();
            }
            var description = new JsonObject
            {
                ["job"] = Job, ["sweep"] = Name, ["config"] = config, ["axes"] = axes,
                ["data_version"] = DataVersion, ["code_version"] = codeVersion,
            };
            return new CellSpec(CellSpec.IdOf(description), description);
        }).ToList();
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a sweep file; a syntax error or a missing field names the file.</summary>
    public static SweepSpec Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no sweep file", path);
        try { return (JsonSerializer.Deserialize<SweepSpec>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty")).Validate(); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a sweep ({e.Message})", e); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }
}

/// <summary>One cell: its id (a hash of its description) and its description.</summary>
public sealed record CellSpec(string Id, JsonObject Description)
{
    public string Job => (string)Description["job"]!;
    public JsonObject Config => (JsonObject)Description["config"]!;
    public JsonObject Axes => (JsonObject)Description["axes"]!;

    /// <summary>"arch=tiny-deconly seed=2": the axis values, for listings.</summary>
    public string Label => Axes.Count == 0 ? "(single cell)" : string.Join(" ", Axes.Select(kv => $"{kv.Key}={Text(kv.Value)}"));

    /// <summary>A value as a label shows it: strings bare, a merged object by its scalar members.</summary>
    static string Text(JsonNode? n) => n switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o => string.Join(",", o.Where(kv => kv.Value is JsonValue).Select(kv => $"{kv.Key}:{Text(kv.Value)}")),
        _ => n?.ToJsonString() ?? "null",
    };

    /// <summary>The first 12 hex digits of the SHA-256 of the description's canonical JSON
    /// (keys sorted at every level, no whitespace).</summary>
    public static string IdOf(JsonObject description)
    {
        var canonical = Canonical(description)!.ToJsonString();
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..12].ToLowerInvariant();
    }

    static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Canonical(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        _ => node?.DeepClone(),
    };
}
