using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace NotebookSlm.Runtime;

/// <summary>What a finished program left: its exit code and both output streams.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// The one way this library runs an external program (dpkg-query, dpkg, apt-get, npm,
/// spm_train): through CliWrap, with the arguments as a list (no shell, no quoting), both
/// streams read to the end as UTF-8 without the pipe deadlocks of hand-rolled
/// <see cref="System.Diagnostics.Process"/> code, and a program that outlives its timeout
/// killed with its children.
/// </summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="file"/> to its end and returns what it left, whatever
    /// its exit code. A program that is not on this machine throws
    /// <see cref="System.ComponentModel.Win32Exception"/>; one that runs past
    /// <paramref name="timeout"/> is killed and throws <see cref="TimeoutException"/>.</summary>
    public static ProcessResult Run(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var argList = args.ToList();
        var command = Cli.Wrap(file).WithArguments(argList).WithValidation(CommandResultValidation.None);
        if (!string.IsNullOrEmpty(workingDirectory)) command = command.WithWorkingDirectory(workingDirectory);
        if (environment is not null) command = command.WithEnvironmentVariables(environment);
        using var cancel = timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        try
        {
            var r = command.ExecuteBufferedAsync(Encoding.UTF8, cancel.Token).GetAwaiter().GetResult();
            return new ProcessResult(r.ExitCode, r.StandardOutput, r.StandardError);
        }
        catch (OperationCanceledException) when (timeout is not null)
        {
            throw new TimeoutException($"`{Describe(file, argList)}` ran past {timeout}");
        }
    }

    /// <summary><see cref="Run"/>, throwing <see cref="InvalidOperationException"/> with the
    /// command line, the exit code and the end of stderr unless the program exits with 0.</summary>
    public static ProcessResult Check(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var argList = args.ToList();
        var r = Run(file, argList, workingDirectory, environment, timeout);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"`{Describe(file, argList)}` failed with exit code {r.ExitCode}: {Tail(r.Stderr)}");
        return r;
    }

    /// <summary>The program's trimmed stdout when it exits with 0; null when it fails or is
    /// not on this machine (for probes such as dpkg-query and git).</summary>
    public static string? TryOutput(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        try
        {
            var r = Run(file, args, workingDirectory);
            return r.ExitCode == 0 ? r.Stdout.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    /// <summary>The last lines of a program's output (at most 2,000 characters), trimmed.</summary>
    public static string Tail(string s, int maxChars = 2000) => s.Length <= maxChars ? s.Trim() : "..." + s[^maxChars..].Trim();

    static string Describe(string file, IEnumerable<string> args) => $"{file} {string.Join(' ', args)}".TrimEnd();
}
