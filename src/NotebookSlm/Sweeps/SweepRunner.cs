using NotebookSlm.Runtime;

namespace NotebookSlm.Sweeps;

/// <summary>How runners start a cell: <c>dotnet slm.dll sweep cell DIR ID</c> (the CLI passes its
/// own path; scripts pass the built one).</summary>
public sealed record CellCommand(string File, IReadOnlyList<string> Prefix)
{
    public IReadOnlyList<string> For(string sweepDir, string id) => [.. Prefix, "sweep", "cell", Path.GetFullPath(sweepDir), id];

    /// <summary><c>dotnet SLM_DLL</c>.</summary>
    public static CellCommand Slm(string slmDll) => new("dotnet", [Path.GetFullPath(slmDll)]);
}

/// <summary>What a runner is asked to do; the Slurm fields name the partition, account and
/// extra <c>sbatch</c> flags of a real cluster.</summary>
public sealed record SweepRunOptions
{
    public required CellCommand Command { get; init; }
    /// <summary>Attempts per cell, the first included: a cell killed or failed is run again until then.</summary>
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Local runner: cells at once (0: as many as cores and memory allow).</summary>
    public int Parallel { get; init; }
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(2);
    public string? Partition { get; init; }
    public string? Account { get; init; }
    public IReadOnlyList<string> SbatchArgs { get; init; } = [];
    /// <summary>Environment for the cells (besides the runner's own).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>Progress as runners report it: each cell's state change, with counts.</summary>
public sealed record SweepProgress(string CellId, string Label, CellState State, int Attempt, int Done, int Failed, int Total, string? Message = null);

/// <summary>What a run ended with: every cell's final state (done, or failed with why).</summary>
public sealed record SweepReport(string Runner, IReadOnlyList<CellStatus> Cells, TimeSpan Elapsed)
{
    public int Done => Cells.Count(c => c.State == CellState.Done);
    public IReadOnlyList<CellStatus> Failed => Cells.Where(c => c.State != CellState.Done).ToList();
    public bool Complete => Failed.Count == 0;
}

public interface ISweepRunner
{
    string Name { get; }
    /// <summary>Runs every cell of the store that is not done, to done or out of attempts.</summary>
    SweepReport Run(SweepStore store, SweepRunOptions options, IProgress<SweepProgress>? progress = null, CancellationToken cancel = default);
}

public static class SweepRunners
{
    public static ISweepRunner Runner(string name) => name switch
    {
        "local" => new LocalRunner(),
        "slurm" => new SlurmRunner(),
        _ => throw new ArgumentException($"unknown runner '{name}': local or slurm"),
    };

    /// <summary>The code version of a sweep's cells: the last commit that changed any of its
    /// code paths (the whole tree's HEAD when it names none), with "+dirty" when those paths
    /// have uncommitted changes, so a cell never claims a commit that did not make it.</summary>
    public static string CodeVersion(string repoRoot, IReadOnlyList<string> code)
    {
        IReadOnlyList<string> paths = code.Count == 0 ? ["."] : code;
        var log = ProcessRunner.Run("git", ["log", "-1", "--format=%H", "--", .. paths], repoRoot);
        if (log.ExitCode != 0) throw new InvalidOperationException($"git log failed under {repoRoot}: {ProcessRunner.Tail(log.Stderr)}");
        // Code that no commit has touched yet (new, uncommitted files) is HEAD plus changes.
        if (log.Stdout.Trim().Length == 0) return ProcessRunner.Check("git", ["rev-parse", "HEAD"], repoRoot).Stdout.Trim() + "+dirty";
        var status = ProcessRunner.Run("git", ["status", "--porcelain", "--", .. paths], repoRoot);
        return log.Stdout.Trim() + (status.Stdout.Trim().Length > 0 ? "+dirty" : "");
    }

    public static string Summary(SweepReport r) =>
        $"{r.Runner}: {r.Done} of {r.Cells.Count} cells done in {r.Elapsed.TotalSeconds:F0} s" +
        (r.Complete ? "" : "; not done: " + string.Join("; ", r.Failed.Select(c => $"{c.Cell.Id} ({c.Cell.Label}) after {c.Attempts} attempt(s): {c.LastFailure ?? "no result"}")));
}
