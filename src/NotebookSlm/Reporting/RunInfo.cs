using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace NotebookSlm.Reporting;

/// <summary>
/// The stamp every results file carries: the commit, the profile (smoke or full), the
/// machine and the library versions that produced its numbers.
/// </summary>
public sealed record RunInfo(
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("dirty")] bool Dirty,
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("machine")] MachineInfo Machine,
    [property: JsonPropertyName("utc")] string Utc,
    [property: JsonPropertyName("torch_threads")] int TorchThreads)
{
    public static RunInfo Capture(string profile) =>
        new(GitCommit(out var dirty), dirty, profile, MachineInfo.Capture(), DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            TorchSharp.torch.get_num_threads());

    /// <summary>HEAD of the repository holding the working directory, or "unknown".</summary>
    public static string GitCommit(out bool dirty)
    {
        dirty = false;
        var head = Git("rev-parse HEAD");
        if (head is null) return Environment.GetEnvironmentVariable("NOTEBOOKSLM_COMMIT") ?? "unknown";
        dirty = !string.IsNullOrWhiteSpace(Git("status --porcelain --untracked-files=no"));
        return head.Trim();
    }

    static string? Git(string args)
    {
        try
        {
            var psi = new ProcessStartInfo("git", args) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}

public sealed record MachineInfo(
    [property: JsonPropertyName("cpu")] string Cpu,
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("memory_gib")] double MemoryGib,
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("runtime")] string Runtime)
{
    public static MachineInfo Capture()
    {
        string cpu = "unknown";
        double memGib = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu;
            var mem = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal"));
            if (mem is not null) memGib = long.Parse(mem.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / (1024.0 * 1024);
        }
        catch (IOException) { }
        return new MachineInfo(cpu, Environment.ProcessorCount, Math.Round(memGib, 1), RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription);
    }

    public override string ToString() => $"{Cpu}, {Cores} cores, {MemoryGib} GiB, {Os}";
}
