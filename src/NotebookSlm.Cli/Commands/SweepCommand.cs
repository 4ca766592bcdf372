using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookSlm.Runtime;
using NotebookSlm.Sweeps;

namespace NotebookSlm.Cli.Commands;

/// <summary>
/// <c>slm sweep run|status|results SWEEP</c>: a grid of cells (a sweep file, or the name of one in
/// <c>experiments/sweeps/</c>) run locally or as a Slurm job array, resumable (done cells are
/// skipped); and <c>slm sweep cell DIR ID</c>, one attempt of one cell, which both runners start.
/// </summary>
static class SweepCommand
{
    public static Command Create()
    {
        var sweep = new Command("sweep", "grids of runs: run them (local processes or a Slurm job array), see their state, collect their results");
        sweep.Subcommands.Add(RunCommand());
        sweep.Subcommands.Add(StatusCommand());
        sweep.Subcommands.Add(ResultsCommand());
        sweep.Subcommands.Add(CellRun());
        return sweep;
    }

    static readonly Argument<string> Spec = new("sweep") { Description = "a sweep JSON file, or NAME for experiments/sweeps/NAME.json" };
    static readonly Option<string?> Dir = new("--dir") { Description = "the sweep folder (default: artifacts/sweeps/NAME)" };
    static readonly Option<int> MaxAttempts = new("--max-attempts") { Description = "attempts per cell, the first included", DefaultValueFactory = _ => 3 };

    static Command RunCommand()
    {
        var runner = new Option<string>("--runner") { Description = "local (processes on this machine) or slurm (one sbatch --array)", DefaultValueFactory = _ => "local" };
        var parallel = new Option<int>("--parallel") { Description = "local: cells at once (0: as cores and memory allow)", DefaultValueFactory = _ => 0 };
        var partition = new Option<string?>("--partition") { Description = "slurm: partition" };
        var account = new Option<string?>("--account") { Description = "slurm: account" };
        var sbatchArg = new Option<string[]>("--sbatch-arg") { Description = "slurm: an extra sbatch flag (repeatable), e.g. --sbatch-arg=--qos=short", AllowMultipleArgumentsPerToken = false };
        var poll = new Option<double>("--poll-seconds") { DefaultValueFactory = _ => 2.0 };
        var quiet = new Option<bool>("--quiet") { Description = "no per-cell progress lines" };
        var cmd = new Command("run", "run every cell that is not done; done cells are skipped, so a stopped sweep resumes")
            { Spec, Dir, MaxAttempts, runner, parallel, partition, account, sbatchArg, poll, quiet };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var (store, _) = Open(r.GetValue(Spec)!, r.GetValue(Dir), create: true);
            var options = new SweepRunOptions
            {
                Command = Self(), MaxAttempts = r.GetValue(MaxAttempts), Parallel = r.GetValue(parallel), Poll = TimeSpan.FromSeconds(r.GetValue(poll)),
                Partition = r.GetValue(partition), Account = r.GetValue(account), SbatchArgs = r.GetValue(sbatchArg) ?? [],
            };
            var run = SweepRunners.Runner(r.GetValue(runner)!);
            int done0 = store.Cells.Count(c => store.IsDone(c.Id));
            Console.Error.WriteLine($"sweep {store.Spec.Name}: {store.Cells.Count} cells ({done0} done already) in {store.Dir}, runner {run.Name}");
            bool quietRun = r.GetValue(quiet);
            var progress = new Progress(p =>
            {
                if (!quietRun)
                    Console.Error.WriteLine($"[{p.Done}/{p.Total} done, {p.Failed} failed] {p.CellId} ({p.Label}): {p.State.ToString().ToLowerInvariant()}" +
                                            (p.Attempt > 0 ? $", attempt {p.Attempt}" : "") + (p.Message is null ? "" : $": {p.Message}"));
            });
            var report = run.Run(store, options, progress);
            Console.WriteLine(SweepRunners.Summary(report));
            return report.Complete ? 0 : 2;
        }));
        return cmd;
    }

    /// <summary>Reports synchronously (System.Progress posts to the thread pool, out of order).</summary>
    sealed class Progress(Action<SweepProgress> report) : IProgress<SweepProgress>
    {
        public void Report(SweepProgress value) => report(value);
    }

    static Command StatusCommand()
    {
        var cmd = new Command("status", "every cell's state: done, running, pending or failed (with why)") { Spec, Dir, MaxAttempts };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var (store, _) = Open(r.GetValue(Spec)!, r.GetValue(Dir), create: false);
            var t = new Reporting.Table("cell", "axes", "state", "attempts", "last failure");
            foreach (var s in store.Status(r.GetValue(MaxAttempts)))
                t.Add(s.Cell.Id, s.Cell.Label, s.State.ToString().ToLowerInvariant(), s.Attempts, s.LastFailure ?? "");
            Console.WriteLine(t.ToText());
            var stale = store.Stale();
            if (stale.Count > 0) Console.WriteLine($"{stale.Count} cell folder(s) of older descriptions kept: {string.Join(", ", stale)}");
            return 0;
        }));
        return cmd;
    }

    static Command ResultsCommand()
    {
        var output = new Option<string?>("--out") { Description = "also write the JSON to this file" };
        var cmd = new Command("results", "the finished cells' results as one JSON array: cell, axes, run stamp, results") { Spec, Dir, output };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var (store, _) = Open(r.GetValue(Spec)!, r.GetValue(Dir), create: false);
            var array = new JsonArray();
            foreach (var (cell, result) in store.Results())
                array.Add(new JsonObject
                {
                    ["cell"] = cell.Id, ["axes"] = cell.Axes.DeepClone(), ["commit"] = result.Run.Commit, ["machine"] = result.Run.Machine.Cpu,
                    ["results"] = JsonNode.Parse(result.Results.GetRawText()),
                });
            var json = array.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            if (r.GetValue(output) is { } path) AtomicFile.WriteText(path, json);
            Console.WriteLine(json);
            return 0;
        }));
        return cmd;
    }

    static Command CellRun()
    {
        var dir = new Argument<string>("dir") { Description = "the sweep folder" };
        var id = new Argument<string>("id") { Description = "the cell id" };
        var cmd = new Command("cell", "run one attempt of one cell (what the runners start; a done cell returns at once)") { dir, id };
        cmd.SetAction(r =>
        {
            Jobs.SweepJobKinds.Register();
            try { return SweepCell.Run(r.GetValue(dir)!, r.GetValue(id)!, Console.Error.WriteLine); }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or DirectoryNotFoundException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    /// <summary>This CLI as the runners start it: <c>dotnet slm.dll</c>.</summary>
    static NotebookSlm.Sweeps.CellCommand Self() => NotebookSlm.Sweeps.CellCommand.Slm(typeof(SweepCommand).Assembly.Location);

    /// <summary>The sweep file (a path, or a name under experiments/sweeps) and its folder.</summary>
    static (SweepStore Store, string SpecPath) Open(string spec, string? dir, bool create)
    {
        var path = File.Exists(spec) ? Path.GetFullPath(spec) : FindNamed(spec);
        var s = SweepSpec.Load(path);
        var root = RepoRoot(Path.GetDirectoryName(path)!);
        var folder = Path.GetFullPath(dir ?? Path.Combine(root ?? Environment.CurrentDirectory, "artifacts", "sweeps", s.Name));
        if (!create) return (SweepStore.Open(folder), path);
        var version = root is null ? $"slm {typeof(SweepCommand).Assembly.GetName().Version}" : SweepRunners.CodeVersion(root, s.Code);
        return (SweepStore.Create(folder, s, version), path);
    }

    static string FindNamed(string name)
    {
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "experiments", "sweeps", name + ".json");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"no sweep '{name}': not a file, and no experiments/sweeps/{name}.json above {Environment.CurrentDirectory}");
    }

    static string? RepoRoot(string from)
    {
        var r = ProcessRunner.Run("git", ["rev-parse", "--show-toplevel"], from);
        return r.ExitCode == 0 ? r.Stdout.Trim() : null;
    }
}
