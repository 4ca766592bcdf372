using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NotebookSlm.Runtime;

namespace NotebookSlm.Sweeps;

/// <summary>
/// The grid as one Slurm job array: <c>sbatch --array</c> with the cells' CPUs, memory and time,
/// one array task per cell not yet done, each running <c>slm sweep cell</c> on the shared sweep
/// folder. It records the job ids (slurm/submissions.jsonl), follows the tasks with
/// <c>squeue</c>, reads each cell's own result and exit record (Slurm without accounting keeps
/// no history, so the folder is the truth), and submits the cells that ended without a result
/// again, as a new array, until <see cref="SweepRunOptions.MaxAttempts"/>. Partition, account
/// and any other <c>sbatch</c> flags come from the options, so the same sweep runs on a real
/// cluster.
/// </summary>
public sealed partial class SlurmRunner : ISweepRunner
{
    public string Name => "slurm";

    sealed record Submission(string JobId, int Round, IReadOnlyList<string> Cells, string Utc);

    public SweepReport Run(SweepStore store, SweepRunOptions o, IProgress<SweepProgress>? progress = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(Path.Combine(store.Dir, "slurm"));
        var submitted = store.Cells.ToDictionary(c => c.Id, c => 0);           // submissions per cell in this run
        var failed = new HashSet<string>();
        var byId = store.Cells.ToDictionary(c => c.Id);
        int total = store.Cells.Count;
        void Report(string id, CellState s, string? message = null) =>
            progress?.Report(new SweepProgress(id, byId[id].Label, s, submitted[id], store.Cells.Count(c => store.IsDone(c.Id)), failed.Count, total, message));

        var todo = store.Cells.Where(c => !store.IsDone(c.Id)).Select(c => c.Id).ToList();
        var current = new Dictionary<string, (string Job, int Index)>();          // the submission each cell waits in
        int round = 0;
        while (todo.Count > 0 || current.Count > 0)
        {
            cancel.ThrowIfCancellationRequested();
            if (todo.Count > 0)
            {
                var batch = new List<string>();
                foreach (var id in todo)
                {
                    if (submitted[id] >= o.MaxAttempts) { failed.Add(id); Report(id, CellState.Failed, store.LastFailure(id)); }
                    else batch.Add(id);
                }
                todo.Clear();
                if (batch.Count > 0)
                {
                    var s = Submit(store, batch, ++round, o);
                    for (int i = 0; i < batch.Count; i++)
                    {
                        current[batch[i]] = (s.JobId, i);
                        submitted[batch[i]]++;
                        Report(batch[i], CellState.Pending, $"submitted as {s.JobId}_{i}");
                    }
                }
            }
            if (current.Count == 0) break;
            Thread.Sleep(o.Poll);
            // The queue first, then the folder: a task absent from the queue has ended, and a
            // result it wrote is there by now.
            var queued = Queued(current.Values.Select(v => v.Job).Distinct());
            foreach (var (id, (job, index)) in current.ToList())
            {
                if (queued.TryGetValue(job, out var tasks) && (tasks.Contains(index) || tasks.Contains(-1))) continue;
                current.Remove(id);
                if (store.IsDone(id)) { Report(id, CellState.Done); continue; }
                // Ended without a result: failed (the cell said why), or cancelled, killed, out of time.
                var why = TaskState($"{job}_{index}") ?? "left the queue without a result";
                var last = store.Attempts(id).LastOrDefault();
                if (last is not { Event: "failed" }) store.RecordFailure(id, submitted[id], $"Slurm task {job}_{index}: {why}");
                Report(id, CellState.Pending, why);
                todo.Add(id);
            }
        }
        return new SweepReport(Name, store.Status(o.MaxAttempts), clock.Elapsed);
    }

    Submission Submit(SweepStore store, IReadOnlyList<string> cells, int round, SweepRunOptions o)
    {
        var r = store.Spec.Resources;
        var slurmDir = Path.Combine(store.Dir, "slurm");
        var script = Path.Combine(slurmDir, $"round-{round}.sh");
        var b = new StringBuilder();
        b.AppendLine("#!/bin/bash");
        b.AppendLine($"# Sweep {store.Spec.Name}, round {round}: {cells.Count} cell(s). Written by NotebookSlm.Sweeps.SlurmRunner.");
        b.AppendLine($"cells=({string.Join(' ', cells)})");
        foreach (var (k, v) in o.Environment) b.AppendLine($"export {k}={Quote(v)}");
        var command = o.Command.For(store.Dir, "").SkipLast(1).Select(Quote);
        b.AppendLine($"exec {Quote(o.Command.File)} {string.Join(' ', command)} \"${{cells[$SLURM_ARRAY_TASK_ID]}}\"");
        AtomicFile.WriteText(script, b.ToString());
        List<string> args =
        [
            "--parsable", $"--job-name=sweep-{store.Spec.Name}", $"--array=0-{cells.Count - 1}",
            $"--cpus-per-task={r.Cpus}", $"--mem={r.MemoryMiB}M", $"--time={r.TimeMinutes}",
            $"--output={Path.Combine(slurmDir, "%A_%a.out")}", $"--chdir={store.Dir}",
        ];
        if (o.Partition is { Length: > 0 } p) args.Add($"--partition={p}");
        if (o.Account is { Length: > 0 } a) args.Add($"--account={a}");
        args.AddRange(o.SbatchArgs);
        args.Add(script);
        var result = ProcessRunner.Run("sbatch", args, store.Dir);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"sbatch {string.Join(' ', args)} failed (exit {result.ExitCode}): {ProcessRunner.Tail(result.Stderr)}");
        var jobId = result.Stdout.Trim().Split(';')[0];      // --parsable: "JOBID" or "JOBID;CLUSTER"
        if (!long.TryParse(jobId, out _)) throw new InvalidOperationException($"sbatch printed '{result.Stdout.Trim()}', not a job id");
        var s = new Submission(jobId, round, cells, DateTime.UtcNow.ToString("O"));
        File.AppendAllText(Path.Combine(slurmDir, "submissions.jsonl"), JsonSerializer.Serialize(s) + "\n");
        return s;
    }

    /// <summary>The array tasks still in the queue, per job: task indices, or -1 for "all of it"
    /// when squeue shows the job without one.</summary>
    static Dictionary<string, HashSet<int>> Queued(IEnumerable<string> jobIds)
    {
        var ids = jobIds.ToList();
        var result = new Dictionary<string, HashSet<int>>();
        if (ids.Count == 0) return result;
        var r = ProcessRunner.Run("squeue", ["-h", "-r", "-j", string.Join(',', ids), "-o", "%i %T"]);
        // squeue exits non-zero for job ids it no longer knows: that is "none queued".
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var id = line.Split(' ')[0];
            foreach (var (job, tasks) in ParseTaskIds(id))
            {
                if (!result.TryGetValue(job, out var set)) result[job] = set = [];
                set.UnionWith(tasks);
            }
        }
        return result;
    }

    /// <summary>squeue's job id forms: "12", "12_3", "12_[4-6,9%2]".</summary>
    public static IEnumerable<(string Job, IReadOnlyList<int> Tasks)> ParseTaskIds(string id)
    {
        var m = TaskId().Match(id);
        if (!m.Success) yield break;
        var job = m.Groups["job"].Value;
        if (m.Groups["one"].Success) { yield return (job, [int.Parse(m.Groups["one"].Value)]); yield break; }
        if (!m.Groups["list"].Success) { yield return (job, [-1]); yield break; }
        var tasks = new List<int>();
        foreach (var part in m.Groups["list"].Value.Split('%')[0].Split(','))
        {
            var range = part.Split('-');
            int lo = int.Parse(range[0]), hi = range.Length > 1 ? int.Parse(range[1]) : lo;
            for (int t = lo; t <= hi; t++) tasks.Add(t);
        }
        yield return (job, tasks);
    }

    [GeneratedRegex(@"^(?<job>\d+)(?:_(?:(?<one>\d+)|\[(?<list>[\d,\-%]+)\]))?$")]
    private static partial Regex TaskId();

    /// <summary>Slurm's word for how a finished task ended, while it still remembers
    /// (<c>scontrol show job</c>, MinJobAge after the end), e.g. "CANCELLED (exit 0:15)".</summary>
    static string? TaskState(string taskId)
    {
        var r = ProcessRunner.Run("scontrol", ["show", "job", taskId, "-o"]);
        if (r.ExitCode != 0) return null;
        var state = Regex.Match(r.Stdout, @"JobState=(\S+)");
        var exit = Regex.Match(r.Stdout, @"ExitCode=(\S+)");
        var reason = Regex.Match(r.Stdout, @"Reason=(\S+)");
        return state.Success ? $"{state.Groups[1].Value} (exit {exit.Groups[1].Value}{(reason.Success && reason.Groups[1].Value != "None" ? ", " + reason.Groups[1].Value : "")})" : null;
    }

    static string Quote(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=:+,".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
