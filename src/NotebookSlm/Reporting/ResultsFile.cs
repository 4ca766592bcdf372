using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NotebookSlm.Checkpoints;
using NotebookSlm.Runtime;

namespace NotebookSlm.Reporting;

/// <summary>A results file read back: which study wrote it, its stamp, the parameters it ran
/// with and its results (JSON, as written).</summary>
public sealed record ResultsDocument(string Path, string Study, RunInfo Run, JsonElement Parameters, JsonElement Results);

/// <summary>
/// The one results schema, written by the CLI, the experiment scripts and the notebooks alike:
/// <c>{ "schema": 1, "study", "run": RunInfo, "parameters", "results" }</c>, snake_case, and
/// nothing rendered (tables and prose are made from it by the study's renderer in
/// NotebookSlm.Lab; docs/architecture.md, "Results"). Written atomically: a reader never sees
/// half a file, and an interrupted run leaves the previous results in place.
/// </summary>
public static class ResultsFile
{
    public const int Schema = 1;

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Empty samples summarise to NaN (Stats.Of); they are written as "NaN", not refused.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <paramref name="path"/> and returns it.</summary>
    public static string Write(string path, string study, RunInfo run, object parameters, object results)
    {
        if (string.IsNullOrWhiteSpace(study)) throw new ArgumentException("a results file needs the name of its study");
        var doc = new JsonObject
        {
            ["schema"] = Schema,
            ["study"] = study,
            ["run"] = JsonSerializer.SerializeToNode(run, Json),
            ["parameters"] = JsonSerializer.SerializeToNode(parameters, parameters.GetType(), Json),
            ["results"] = JsonSerializer.SerializeToNode(results, results.GetType(), Json),
        };
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        AtomicFile.WriteText(path, doc.ToJsonString(Json));
        return path;
    }

    /// <summary>Reads a results file of this schema; anything else is one error naming the file
    /// and the field.</summary>
    public static ResultsDocument Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no results file; run the study that writes it first", path);
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON ({e.Message})", e); }
        JsonElement Field(string name, JsonValueKind kind)
        {
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var v))
                throw new InvalidDataException($"{path}: no field '{name}' (a results file has schema, study, run, parameters and results)");
            if (v.ValueKind != kind) throw new InvalidDataException($"{path}: field '{name}' is {v.ValueKind}, expected {kind}");
            return v;
        }
        int schema = Field("schema", JsonValueKind.Number).GetInt32();
        if (schema != Schema) throw new InvalidDataException($"{path}: results schema {schema}; this build reads schema {Schema}: rerun the study");
        var study = Field("study", JsonValueKind.String).GetString()!;
        var (stamp, parameters, results) = (Field("run", JsonValueKind.Object), Field("parameters", JsonValueKind.Object), Field("results", JsonValueKind.Object));
        RunInfo run;
        try { run = stamp.Deserialize<RunInfo>(Json) ?? throw new InvalidDataException($"{path}: field 'run' is empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: field 'run' is not a run stamp ({e.Message})", e); }
        if (run.Commit is null || run.Machine is null || run.Libraries is null)
            throw new InvalidDataException($"{path}: field 'run' lacks commit, machine or libraries");
        return new ResultsDocument(path, study, run, parameters, results);
    }
}
