using System.Diagnostics;

namespace NotebookSlm.Sweeps;

/// <summary>
/// The default runner: every cell a separate process on this machine, as many at once as the
/// cores and the available memory hold at the cells' stated resources (two single-thread
/// processes beat one two-thread process by about 25% here, so cells default to one CPU). A
/// cell that exits without its result (it failed, or was killed) runs again until
/// <see cref="SweepRunOptions.MaxAttempts"/>.
/// </summary>
public sealed class LocalRunner : ISweepRunner
{
    /// <summary>Tells a cell how many CPUs it was given (Slurm says it with SLURM_CPUS_PER_TASK).</summary>
    public const string CpusVariable = "NOTEBOOKSLM_CELL_CPUS";

    public string Name => "local";

    /// <summary>Cells at once for these resources on this machine.</summary>
    public static int Slots(CellResources r)
    {
        int byCpu = Math.Max(1, Environment.ProcessorCount / r.Cpus);
        long available = AvailableMiB();
        int byMemory = available > 0 ? (int)Math.Max(1, available / r.MemoryMiB) : byCpu;
        return Math.Min(byCpu, byMemory);
    }

    static long AvailableMiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        }
        catch (IOException) { return 0; }
    }

    public SweepReport Run(SweepStore store, SweepRunOptions o, IProgress<SweepProgress>? progress = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        int slots = o.Parallel > 0 ? o.Parallel : Slots(store.Spec.Resources);
        var queue = new Queue<CellSpec>(store.Cells.Where(c => !store.IsDone(c.Id)));
        // Attempts are counted per run, as the Slurm runner counts submissions: running a sweep
        // again (after a fix) gives its failed cells their attempts anew.
        var attempts = store.Cells.ToDictionary(c => c.Id, _ => 0);
        var running = new List<(CellSpec Cell, Process Process, int Attempt, StreamWriter Log)>();
        var failed = new HashSet<string>();
        int total = store.Cells.Count;
        int Done() => store.Cells.Count(c => store.IsDone(c.Id));
        void Report(CellSpec c, CellState s, int attempt, string? message = null) =>
            progress?.Report(new SweepProgress(c.Id, c.Label, s, attempt, Done(), failed.Count, total, message));

        try
        {
            while (queue.Count > 0 || running.Count > 0)
            {
                cancel.ThrowIfCancellationRequested();
                while (running.Count < slots && queue.Count > 0)
                {
                    var cell = queue.Dequeue();
                    if (attempts[cell.Id] >= o.MaxAttempts) { failed.Add(cell.Id); Report(cell, CellState.Failed, attempts[cell.Id], store.LastFailure(cell.Id)); continue; }
                    int attempt = store.Attempts(cell.Id).Count(e => e.Event == "start") + 1;   // the cell's own numbering, for its log
                    var (process, log) = Start(store, cell, attempt, o);
                    running.Add((cell, process, attempt, log));
                    Report(cell, CellState.Running, attempt);
                }
                // Wait for any cell to end (or poll, so cancellation is seen).
                var ended = running.FirstOrDefault(r => r.Process.HasExited);
                if (ended.Process is null) { Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(200, o.Poll.TotalMilliseconds))); continue; }
                running.Remove(ended);
                ended.Process.WaitForExit();          // flush the output handlers
                ended.Log.Dispose();
                int code = ended.Process.ExitCode;
                ended.Process.Dispose();
                attempts[ended.Cell.Id]++;
                if (store.IsDone(ended.Cell.Id)) { Report(ended.Cell, CellState.Done, ended.Attempt); continue; }
                var why = code switch
                {
                    137 or -9 => "killed (SIGKILL)",
                    143 or -15 => "terminated (SIGTERM)",
                    _ => store.LastFailure(ended.Cell.Id) is { } f && code == 1 ? f : $"exited with {code} and no result",
                };
                if (code != 1) store.RecordFailure(ended.Cell.Id, ended.Attempt, $"attempt {ended.Attempt} {why}");
                Report(ended.Cell, CellState.Pending, ended.Attempt, why);
                queue.Enqueue(ended.Cell);                 // the attempt count decides whether it runs again
            }
        }
        finally
        {
            foreach (var r in running)
            {
                try { r.Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                r.Process.WaitForExit();
                r.Log.Dispose();
                r.Process.Dispose();
            }
        }
        return new SweepReport(Name, store.Status(o.MaxAttempts), clock.Elapsed);
    }

    static (Process, StreamWriter) Start(SweepStore store, CellSpec cell, int attempt, SweepRunOptions o)
    {
        var psi = new ProcessStartInfo(o.Command.File)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = store.Dir,
        };
        foreach (var a in o.Command.For(store.Dir, cell.Id)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in o.Environment) psi.Environment[k] = v;
        psi.Environment[CpusVariable] = store.Spec.Resources.Cpus.ToString();
        var log = new StreamWriter(store.LogPath(cell.Id, attempt), append: false) { AutoFlush = true };
        var process = new Process { StartInfo = psi };
        var gate = new object();
        void Write(string? line) { if (line is not null) lock (gate) log.WriteLine(line); }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, log);
    }
}
