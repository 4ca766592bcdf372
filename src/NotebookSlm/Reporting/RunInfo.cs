using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace NotebookSlm.Reporting;

/// <summary>
/// The stamp every results file carries: the commit (and whether the working tree had
/// uncommitted changes), the profile (smoke or full), when, the machine, the threads the study
/// actually ran with (given by the study: a global thread setting may have been restored by the
/// time the file is written) and the versions of the libraries that computed its numbers.
/// </summary>
public sealed record RunInfo(
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("dirty")] bool Dirty,
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("utc")] string Utc,
    [property: JsonPropertyName("machine")] MachineInfo Machine,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("libraries")] LibraryVersions Libraries)
{
    /// <summary>The stamp of a run made now, in <paramref name="profile"/>, with <paramref name="threads"/> threads.</summary>
    public static RunInfo Capture(string profile, int threads)
    {
        if (profile is not ("smoke" or "full")) throw new ArgumentException($"unknown profile '{profile}': expected smoke or full");
        if (threads < 1) throw new ArgumentException($"threads must be at least 1 (got {threads})");
        return new(GitCommit(out var dirty), dirty, profile, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"), MachineInfo.Capture(),
            threads, LibraryVersions.Current);
    }

    /// <summary>What a run writes, not what it runs: uncommitted changes here do not make a run
    /// dirty. Without this, a study run after another in the same tree was stamped dirty by the
    /// first one's rewritten results file (the training benchmark after the peer study, 2026-12-04).</summary>
    public static IReadOnlyList<string> Outputs { get; } = ["experiments/results", "notebooks", "README.md"];

    /// <summary>HEAD of the repository holding the working directory, or "unknown"; dirty when a
    /// tracked file outside <see cref="Outputs"/> has uncommitted changes.</summary>
    public static string GitCommit(out bool dirty, string? workingDirectory = null)
    {
        dirty = false;
        var head = Runtime.ProcessRunner.TryOutput("git", ["rev-parse", "HEAD"], workingDirectory);
        if (head is null) return Environment.GetEnvironmentVariable("NOTEBOOKSLM_COMMIT") ?? "unknown";
        string[] status = ["status", "--porcelain", "--untracked-files=no", "--", ":(top)", .. Outputs.Select(o => $":(top,exclude){o}")];
        dirty = !string.IsNullOrWhiteSpace(Runtime.ProcessRunner.TryOutput("git", status, workingDirectory));
        return head;
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

/// <summary>The versions of what computes our numbers: the .NET runtime, TorchSharp and its
/// libtorch, ONNX Runtime and the Hugging Face tokenizers binding (the package versions this
/// build references, from Directory.Packages.props).</summary>
public sealed record LibraryVersions(
    [property: JsonPropertyName("dotnet")] string DotNet,
    [property: JsonPropertyName("torchsharp")] string TorchSharp,
    [property: JsonPropertyName("libtorch")] string LibTorch,
    [property: JsonPropertyName("onnxruntime")] string OnnxRuntime,
    [property: JsonPropertyName("tokenizers_dotnet")] string TokenizersDotNet)
{
    public static LibraryVersions Current { get; } = new(Environment.Version.ToString(),
        Runtime.TorchRuntime.Metadata("NotebookSlm.TorchSharpVersion"), Runtime.TorchRuntime.Metadata("NotebookSlm.LibTorchVersion"),
        Runtime.TorchRuntime.Metadata("NotebookSlm.OnnxRuntimeVersion"), Runtime.TorchRuntime.Metadata("NotebookSlm.TokenizersDotNetVersion"));

    /// <summary>Same numerical libraries: equal but for the .NET runtime's patch release, which
    /// moves with the machine's SDK and computes none of our numbers itself.</summary>
    public bool SameLibrariesAs(LibraryVersions other) => this with { DotNet = "" } == other with { DotNet = "" };

    public override string ToString() => $"TorchSharp {TorchSharp} (libtorch {LibTorch}), ONNX Runtime {OnnxRuntime}, Tokenizers.DotNet {TokenizersDotNet}, .NET {DotNet}";
}
