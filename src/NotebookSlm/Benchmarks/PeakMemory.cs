using System.Diagnostics;
using System.Text.Json.Serialization;
using NotebookSlm.Export.Onnx;
using NotebookSlm.Generation;
using NotebookSlm.Models;

namespace NotebookSlm.Benchmarks;

/// <summary>Peak resident memory of one generation run, with the analytic estimate beside it.</summary>
public sealed record MemoryResult(
    [property: JsonPropertyName("preset")] string Preset,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("input_tokens")] int InputTokens,
    [property: JsonPropertyName("output_tokens")] int OutputTokens,
    [property: JsonPropertyName("baseline_mib")] double BaselineMiB,
    [property: JsonPropertyName("peak_mib")] double PeakMiB,
    [property: JsonPropertyName("seconds")] double Seconds);

/// <summary>
/// Peak memory of generation on ONNX Runtime, read from the kernel's high-water mark of this
/// process (VmHWM in /proc/self/status). One configuration per process: run it through
/// <c>slm bench memory</c>, which the efficiency experiment starts once per batch size, so
/// one run's peak never hides another's and an out-of-memory kill ends only that run.
/// </summary>
public static class PeakMemory
{
    public static double HighWaterMiB() => ReadStatus("VmHWM");
    public static double ResidentMiB() => ReadStatus("VmRSS");

    static double ReadStatus(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return StatusKiB(line) / 1024.0;
        throw new PlatformNotSupportedException($"/proc/self/status has no {key} (Linux only)");
    }

    /// <summary>
    /// The kB value of one /proc status line, <c>"VmHWM:\t 123456 kB"</c>. The kernel pads the
    /// number with spaces to eight places after a tab, so from 10,000,000 kB (9.5 GiB) on the tab
    /// is the only separator: splitting on spaces alone read "kB" as the number there.
    /// </summary>
    public static long StatusKiB(string line)
    {
        var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 3 || fields[2] != "kB" || !long.TryParse(fields[1], out var kib))
            throw new FormatException($"/proc/self/status: expected 'Key: <number> kB', got '{line}'");
        return kib;
    }

    /// <summary>Generates <paramref name="output"/> tokens for <paramref name="batch"/> random prompts of
    /// <paramref name="input"/> tokens from the export in <paramref name="dir"/>.</summary>
    public static MemoryResult Measure(string dir, int batch, int input, int output, int threads, int seed = 1)
    {
        using var model = new OnnxLanguageModel(dir, new OnnxRuntimeOptions { Threads = threads });
        var rng = new Random(seed);
        var prompts = Enumerable.Range(0, batch)
            .Select(_ => Enumerable.Range(0, input).Select(_ => rng.Next(4, Math.Min(model.Config.VocabSize, 32000))).ToArray()).ToArray();
        GC.Collect();
        double baseline = ResidentMiB();
        var clock = Stopwatch.StartNew();
        model.Generate(prompts, new GenerationOptions { MaxNewTokens = output, StopAtEos = false });
        return new MemoryResult(model.Config.Name, batch, input, output, baseline, HighWaterMiB(), clock.Elapsed.TotalSeconds);
    }
}
