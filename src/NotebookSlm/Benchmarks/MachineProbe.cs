using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace NotebookSlm.Benchmarks;

/// <summary>What the machine can do at best: memory bandwidth and matrix-multiply throughput,
/// the two ceilings of the roofline (docs/architecture.md, "Benchmarks").</summary>
public sealed record MachineCeilings(
    [property: JsonPropertyName("copy_gb_per_s")] double CopyGBps,
    [property: JsonPropertyName("triad_gb_per_s")] double TriadGBps,
    [property: JsonPropertyName("read_gb_per_s")] double ReadGBps,
    [property: JsonPropertyName("matmul_gflops")] double MatmulGflops,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("array_mib")] int ArrayMiB,
    [property: JsonPropertyName("read_streams")] int ReadStreams)
{
    /// <summary>The bandwidth a decode step can draw on: it mostly reads weights and caches,
    /// so the read probe (at its best number of concurrent streams); STREAM's triad is reported
    /// beside it.</summary>
    [JsonIgnore] public double BandwidthGBps => ReadGBps;
}

/// <summary>
/// STREAM-like probes (McCalpin's copy and triad, plus a read-only sum, which is what decoding
/// does) over arrays far larger than the caches, on every thread, best of several runs; and
/// fp32 matrix-multiply GFLOP/s through libtorch.
/// </summary>
/// <remarks>
/// The read probe walks each thread's part as 1, 4, 8 and 16 interleaved streams and keeps the
/// best. One sequential stream per core is bound by the misses it can keep in flight, not by the
/// memory: on this VM, on a day its memory was slow, one stream read 16 GB/s and eight read 24,
/// while ONNX Runtime's GEMV (which walks many weight rows at once) decoded at 111-115% of the
/// one-stream figure. A ceiling a kernel can beat is not a ceiling.
/// </remarks>
public static class MachineProbe
{
    public static MachineCeilings Measure(int threads = 0, int arrayMiB = 256, int repeats = 7)
    {
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        long n = arrayMiB * 1024L * 1024 / sizeof(float);
        var a = new float[n]; var b = new float[n]; var c = new float[n];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var (lo, hi) = Part(n, threads, t);
            for (long i = lo; i < hi; i++) { a[i] = 1; b[i] = 2; c[i] = 0.5f; }
        });
        double copy = Best(repeats, () => Run(threads, n, (lo, hi) => a.AsSpan((int)lo, (int)(hi - lo)).CopyTo(c.AsSpan((int)lo, (int)(hi - lo)))), 2.0 * n * sizeof(float));
        double triad = Best(repeats, () => Run(threads, n, (lo, hi) => Triad(a, b, c, lo, hi, 3.0f)), 3.0 * n * sizeof(float));
        var (read, streams) = ReadStreamCounts
            .Select(k => (GBps: Best(repeats, () => Run(threads, n, (lo, hi) => Sum(b, lo, hi, k)), 1.0 * n * sizeof(float)), Streams: k))
            .MaxBy(r => r.GBps);
        return new MachineCeilings(copy, triad, read, MatmulGflops(threads), threads, arrayMiB, streams);
    }

    static (long Lo, long Hi) Part(long n, int parts, int t) => (n * t / parts, n * (t + 1) / parts);

    static void Run(int threads, long n, Action<long, long> body) =>
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => { var (lo, hi) = Part(n, threads, t); body(lo, hi); });

    /// <summary>GB/s of the fastest of <paramref name="repeats"/> runs moving <paramref name="bytes"/>.</summary>
    static double Best(int repeats, Action body, double bytes)
    {
        body();   // warm-up: page faults and thread start
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            body();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return bytes / best / 1e9;
    }

    static void Triad(float[] a, float[] b, float[] c, long lo, long hi, float s)
    {
        var va = MemoryMarshal.Cast<float, Vector<float>>(a.AsSpan((int)lo, (int)(hi - lo)));
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b.AsSpan((int)lo, (int)(hi - lo)));
        var vc = MemoryMarshal.Cast<float, Vector<float>>(c.AsSpan((int)lo, (int)(hi - lo)));
        var vs = new Vector<float>(s);
        for (int i = 0; i < va.Length; i++) va[i] = vb[i] + vs * vc[i];
    }

    /// <summary>Concurrent read streams per thread that the read probe tries.</summary>
    public static readonly int[] ReadStreamCounts = [1, 4, 8, 16];

    /// <summary>Sums x[lo..hi) read as <paramref name="streams"/> contiguous chunks stepped through
    /// together (four vectors from each chunk per step), so that many cache-line misses are in flight
    /// at once; every element is read exactly once.</summary>
    public static float Sum(float[] x, long lo, long hi, int streams = 1)
    {
        var v = MemoryMarshal.Cast<float, Vector<float>>(x.AsSpan((int)lo, (int)(hi - lo)));
        int chunk = v.Length / streams / 4 * 4;
        Span<Vector<float>> acc = stackalloc Vector<float>[streams];
        for (int i = 0; i < chunk; i += 4)
            for (int s = 0, o = i; s < streams; s++, o += chunk)
                acc[s] += v[o] + v[o + 1] + v[o + 2] + v[o + 3];
        Vector<float> total = default;
        foreach (var a in acc) total += a;
        for (int i = chunk * streams; i < v.Length; i++) total += v[i];
        float sum = Vector.Sum(total);
        // The part shorter than one vector.
        foreach (var f in x.AsSpan((int)lo + v.Length * Vector<float>.Count, (int)(hi - lo) - v.Length * Vector<float>.Count)) sum += f;
        return sum;
    }

    /// <summary>GFLOP/s of a 1024-square matrix multiply in libtorch (fp32 unless
    /// <paramref name="dtype"/> says otherwise: the training benchmark also takes the bf16
    /// peak), best of several.</summary>
    public static double MatmulGflops(int threads, int size = 1024, int repeats = 10, ScalarType dtype = ScalarType.Float32)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        int old = get_num_threads();
        set_num_threads(threads);
        try
        {
            using var x = randn(size, size, dtype: dtype);
            using var y = randn(size, size, dtype: dtype);
            using (var warm = x.matmul(y)) { }
            double best = double.MaxValue;
            for (int r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                using var z = x.matmul(y);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return 2.0 * size * size * (double)size / best / 1e9;
        }
        finally { set_num_threads(old); }
    }
}
