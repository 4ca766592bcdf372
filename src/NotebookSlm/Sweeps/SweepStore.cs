using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookSlm.Reporting;
using NotebookSlm.Runtime;

namespace NotebookSlm.Sweeps;

public enum CellState { Pending, Running, Done, Failed }

/// <summary>A cell's state as its folder records it: attempts started, the last failure.</summary>
public sealed record CellStatus(CellSpec Cell, CellState State, int Attempts, string? LastFailure);

/// <summary>
/// A sweep's folder, the only shared state between runners, cells and readers (a Slurm node
/// sees it on the shared file system):
/// <code>
/// sweep.json                      the spec as last run
/// cells/ID/cell.json              the cell's description (ID is its hash)
/// cells/ID/result.json            its results file (ResultsFile schema), written once, atomically, at the end
/// cells/ID/failure.json           why the last attempt failed
/// cells/ID/attempts.jsonl         one line per event: {attempt, event: start|done|failed, pid, host, utc}
/// cells/ID/work/                  scratch of the running attempt (cleared when an attempt starts)
/// logs/ID-ATTEMPT.log             output of each attempt
/// slurm/                          batch scripts and submissions (the Slurm runner)
/// </code>
/// A cell whose result exists is done and is never run again; a changed description is a new
/// id, so it reruns while its old folder stays (listed as stale, never deleted).
/// </summary>
public sealed class SweepStore
{
    public string Dir { get; }
    public SweepSpec Spec { get; }
    public IReadOnlyList<CellSpec> Cells { get; }

    public const string ResultFile = "result.json", FailureFile = "failure.json", AttemptsFile = "attempts.jsonl", CellFile = "cell.json";
    static readonly JsonSerializerOptions Line = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    SweepStore(string dir, SweepSpec spec, IReadOnlyList<CellSpec> cells) { Dir = dir; Spec = spec; Cells = cells; }

    /// <summary>Creates or updates the folder for a spec: writes sweep.json and the description of
    /// every cell (cells already there are left as they are).</summary>
    public static SweepStore Create(string dir, SweepSpec spec, string codeVersion)
    {
        var cells = spec.Cells(codeVersion);
        Directory.CreateDirectory(Path.Combine(dir, "cells"));
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        AtomicFile.WriteText(Path.Combine(dir, "sweep.json"), spec.ToJson());
        foreach (var c in cells)
        {
            var cellDir = Path.Combine(dir, "cells", c.Id);
            Directory.CreateDirectory(cellDir);
            var path = Path.Combine(cellDir, CellFile);
            if (!File.Exists(path)) AtomicFile.WriteText(path, c.Description.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        AtomicFile.WriteText(Path.Combine(dir, "cells.txt"), string.Join("\n", cells.Select(c => c.Id)) + "\n");
        return new SweepStore(dir, spec, cells);
    }

    /// <summary>Opens a folder made by <see cref="Create"/>: the cells of its last run.</summary>
    public static SweepStore Open(string dir)
    {
        var spec = SweepSpec.Load(Path.Combine(dir, "sweep.json"));
        var listing = Path.Combine(dir, "cells.txt");
        if (!File.Exists(listing)) throw new InvalidDataException($"{dir}: not a sweep folder (no cells.txt)");
        var cells = File.ReadAllLines(listing).Where(l => l.Length > 0).Select(id => ReadCell(dir, id)).ToList();
        return new SweepStore(dir, spec, cells);
    }

    public static CellSpec ReadCell(string dir, string id)
    {
        var path = Path.Combine(dir, "cells", id, CellFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such cell in sweep {dir}", path);
        var description = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        var actual = CellSpec.IdOf(description);
        if (actual != id) throw new InvalidDataException($"{path}: its description hashes to {actual}, not {id} (edited by hand?)");
        return new CellSpec(id, description);
    }

    public string CellDir(string id) => Path.Combine(Dir, "cells", id);
    public string ResultPath(string id) => Path.Combine(CellDir(id), ResultFile);
    public string LogPath(string id, int attempt) => Path.Combine(Dir, "logs", $"{id}-{attempt}.log");
    public bool IsDone(string id) => File.Exists(ResultPath(id));

    public sealed record AttemptEvent(int Attempt, string Event, int Pid, string Host, string Utc, string? Message = null);

    public static void Append(string cellDir, AttemptEvent e)
    {
        // One short line, appended with O_APPEND: safe beside a runner reading it.
        using var f = new FileStream(Path.Combine(cellDir, AttemptsFile), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var bytes = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(e, Line) + "\n");
        f.Write(bytes);
    }

    public IReadOnlyList<AttemptEvent> Attempts(string id)
    {
        var path = Path.Combine(CellDir(id), AttemptsFile);
        if (!File.Exists(path)) return [];
        return File.ReadAllLines(path).Where(l => l.Trim().Length > 0)
            .Select(l => { try { return JsonSerializer.Deserialize<AttemptEvent>(l, Line); } catch (JsonException) { return null; } })
            .OfType<AttemptEvent>().ToList();
    }

    public string? LastFailure(string id)
    {
        var path = Path.Combine(CellDir(id), FailureFile);
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path))?["message"]?.GetValue<string>(); }
        catch (JsonException) { return File.ReadAllText(path); }
    }

    /// <summary>Records an attempt that ended without a result, as the runner saw it (killed,
    /// cancelled, out of time): the cell itself could not say why.</summary>
    public void RecordFailure(string id, int attempt, string message)
    {
        AtomicFile.WriteText(Path.Combine(CellDir(id), FailureFile),
            JsonSerializer.Serialize(new { attempt, message, utc = DateTime.UtcNow.ToString("O") }, Line));
    }

    /// <summary>The state of every cell: done when its result exists; failed when its last
    /// attempt failed and <paramref name="maxAttempts"/> are used up; running when an attempt
    /// has started and not ended (as far as the folder knows); pending otherwise.</summary>
    public IReadOnlyList<CellStatus> Status(int maxAttempts)
    {
        return Cells.Select(c =>
        {
            var events = Attempts(c.Id);
            int started = events.Count(e => e.Event == "start");
            if (IsDone(c.Id)) return new CellStatus(c, CellState.Done, started, null);
            var last = events.LastOrDefault();
            var failure = LastFailure(c.Id);
            if (last is { Event: "start" } && ProcessAlive(last)) return new CellStatus(c, CellState.Running, started, failure);
            if (started >= maxAttempts && failure is not null) return new CellStatus(c, CellState.Failed, started, failure);
            return new CellStatus(c, CellState.Pending, started, failure);
        }).ToList();
    }

    /// <summary>Whether an attempt's process still runs; only answerable on its own host.</summary>
    static bool ProcessAlive(AttemptEvent e)
    {
        if (e.Host != Environment.MachineName) return true;
        try { using var p = System.Diagnostics.Process.GetProcessById(e.Pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    /// <summary>The results files of the finished cells, in grid order, with their cells.</summary>
    public IReadOnlyList<(CellSpec Cell, ResultsDocument Result)> Results() =>
        Cells.Where(c => IsDone(c.Id)).Select(c => (c, ResultsFile.Read(ResultPath(c.Id)))).ToList();

    /// <summary>Cell folders that no cell of the current grid uses (results of older descriptions).</summary>
    public IReadOnlyList<string> Stale()
    {
        var current = Cells.Select(c => c.Id).ToHashSet();
        return Directory.GetDirectories(Path.Combine(Dir, "cells")).Select(d => Path.GetFileName(d)).Where(id => !current.Contains(id)).Order().ToList();
    }
}
