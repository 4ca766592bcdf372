using System.Text.Json.Nodes;
using NotebookSlm.Reporting;
using NotebookSlm.Runtime;

namespace NotebookSlm.Sweeps;

/// <summary>What a cell runs: its configuration in, the parameters and results of its one results
/// file out. Jobs write scratch only under the work folder, which a later attempt finds as the
/// failed one left it (resume from it, or start over); the result is written by
/// <see cref="SweepCell"/>, once, atomically, after the job returns.</summary>
public interface ICellJob
{
    (object Parameters, object Results) Run(CellSpec cell, string workDir, int threads, Action<string> log);
}

/// <summary>The job kinds a cell can name. The core library knows <c>probe</c>; the CLI adds the
/// experiment jobs (training and evaluation) before it runs a cell.</summary>
public static class SweepJobs
{
    static readonly Dictionary<string, ICellJob> Jobs = new(StringComparer.Ordinal) { ["probe"] = new ProbeJob() };

    public static void Register(string kind, ICellJob job) { lock (Jobs) Jobs[kind] = job; }

    public static ICellJob Get(string kind)
    {
        lock (Jobs)
            return Jobs.TryGetValue(kind, out var j) ? j
                : throw new ArgumentException($"no sweep job '{kind}': known jobs are {string.Join(", ", Jobs.Keys.Order())}");
    }
}

/// <summary>
/// <c>probe</c>: a job for checking runners and clusters. Configuration: <c>value</c> (a number),
/// <c>sleep_ms</c> (how long it runs), <c>fail_attempts</c> (its first N attempts throw). Its
/// result is the value doubled, with the attempt, host and process that made it.
/// </summary>
sealed class ProbeJob : ICellJob
{
    public (object Parameters, object Results) Run(CellSpec cell, string workDir, int threads, Action<string> log)
    {
        double value = cell.Config["value"]?.GetValue<double>() ?? 0;
        int sleep = cell.Config["sleep_ms"]?.GetValue<int>() ?? 0;
        int failAttempts = cell.Config["fail_attempts"]?.GetValue<int>() ?? 0;
        int attempt = SweepCell.CurrentAttempt;
        if (attempt <= failAttempts) throw new InvalidOperationException($"probe: attempt {attempt} fails on purpose (fail_attempts = {failAttempts})");
        log($"probe: value {value}, sleeping {sleep} ms");
        File.AppendAllText(Path.Combine(workDir, "attempts-seen.txt"), $"{attempt}\n");
        Thread.Sleep(sleep);
        return (cell.Config, new { value, doubled = 2 * value, attempt, host = Environment.MachineName, pid = Environment.ProcessId, threads });
    }
}

/// <summary>Runs one attempt of one cell in this process (<c>slm sweep cell DIR ID</c>, which both
/// runners start): records the start, runs the job in the cell's scratch folder, writes the
/// results file or the failure. A cell already done returns at once.</summary>
public static class SweepCell
{
    /// <summary>The attempt this process runs (1 for the first).</summary>
    public static int CurrentAttempt { get; private set; }

    public static int Run(string sweepDir, string id, Action<string> log)
    {
        var store = SweepStore.Open(sweepDir);
        var cell = SweepStore.ReadCell(sweepDir, id);
        if (store.IsDone(id)) { log($"cell {id} ({cell.Label}) is done already"); return 0; }
        var cellDir = store.CellDir(id);
        int attempt = store.Attempts(id).Count(e => e.Event == "start") + 1;
        CurrentAttempt = attempt;
        SweepStore.Append(cellDir, Event(attempt, "start"));
        // The scratch folder outlives a failed attempt, so that a job can resume from what it
        // left (the training job resumes from its last checkpoint, exactly); it goes once the
        // cell is done.
        var work = Path.Combine(cellDir, "work");
        Directory.CreateDirectory(work);
        int threads = Threads();
        log($"cell {id} ({cell.Label}): attempt {attempt}, job {cell.Job}, {threads} thread(s), pid {Environment.ProcessId} on {Environment.MachineName}");
        try
        {
            var job = SweepJobs.Get(cell.Job);
            var (parameters, results) = job.Run(cell, work, threads, log);
            var profile = cell.Config["profile"]?.GetValue<string>() ?? "smoke";
            var wrapped = new { cell = id, label = cell.Label, description = cell.Description, job = parameters };
            ResultsFile.Write(store.ResultPath(id), $"{store.Spec.Name}/{id}", RunInfo.Capture(profile, threads), wrapped, results);
            SweepStore.Append(cellDir, Event(attempt, "done"));
            Directory.Delete(work, recursive: true);
            log($"cell {id}: done");
            return 0;
        }
        catch (Exception e)
        {
            store.RecordFailure(id, attempt, $"{e.GetType().Name}: {e.Message}");
            SweepStore.Append(cellDir, Event(attempt, "failed", e.Message));
            log($"cell {id}: attempt {attempt} failed: {e.Message}");
            return 1;
        }
    }

    static SweepStore.AttemptEvent Event(int attempt, string what, string? message = null) =>
        new(attempt, what, Environment.ProcessId, Environment.MachineName, DateTime.UtcNow.ToString("O"), message);

    /// <summary>The CPUs this cell was given: Slurm's allocation, else the local runner's.</summary>
    static int Threads()
    {
        foreach (var name in new[] { "SLURM_CPUS_PER_TASK", LocalRunner.CpusVariable })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out var n) && n > 0) return n;
        return 1;
    }
}
