using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;

namespace NotebookSlm.Runtime;

/// <summary>
/// The one entry point that makes TorchSharp's native backend load, from compiled programs,
/// <c>dotnet fsi</c> scripts and notebooks alike. Call <see cref="EnsureLoaded"/> before the
/// first TorchSharp call; every model constructor in this library does.
/// </summary>
/// <remarks>
/// On Linux x64 the native files are loaded by absolute path from the NuGet package folder
/// (or from the application folder where a publish copied them). If the distribution's
/// libstdc++ lacks <c>GLIBCXX_3.4.32</c> (Debian 12 and older), a copy of
/// libLibTorchSharp.so with that requirement marked weak is written to a cache folder
/// outside the NuGet cache and loaded instead (see ElfVersionPatch for why that is safe). TorchSharp's own
/// name-based load then finds the already-loaded libraries by their sonames, so its
/// fallback (which copies ~500 MB into the NuGet cache) never runs.
/// </remarks>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static bool loaded;
    static readonly StringBuilder trace = new();

    /// <summary>Versions of libstdc++ that may be marked weak: their symbols are never bound.</summary>
    static readonly string[] SafeToWeaken = ["GLIBCXX_3.4.32"];

    /// <summary>What the loader did, for diagnostics (<c>slm doctor</c>).</summary>
    public static string Trace { get { lock (Gate) return trace.ToString(); } }

    /// <summary>True when a patched copy of libLibTorchSharp.so was needed and loaded.</summary>
    public static bool UsedPatchedCopy { get; private set; }

    /// <summary>Folder for the patched copy: $NOTEBOOKSLM_CACHE, else $XDG_CACHE_HOME/notebookslm,
    /// else ~/.cache/notebookslm.</summary>
    public static string CacheRoot
    {
        get
        {
            var explicitRoot = Environment.GetEnvironmentVariable("NOTEBOOKSLM_CACHE");
            if (!string.IsNullOrEmpty(explicitRoot)) return explicitRoot;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrEmpty(xdg) ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "notebookslm");
        }
    }

    public static void EnsureLoaded()
    {
        if (loaded) return;
        lock (Gate)
        {
            if (loaded) return;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.ProcessArchitecture == Architecture.X64)
                PreloadLinux();
            else
                trace.AppendLine("not linux-x64: TorchSharp loads its native backend itself");
            torch.InitializeDeviceType(DeviceType.CPU);
            loaded = true;
        }
    }

    /// <summary>The folders libtorch and LibTorchSharp were loaded from (Linux x64).</summary>
    public static NativePaths? NativeFolders { get; private set; }

    public sealed record NativePaths(string LibTorch, string LibTorchSharp);

    static void PreloadLinux()
    {
        var (torchDir, sharpDir) = LocateNativeFolders();
        NativeFolders = new NativePaths(torchDir, sharpDir);
        trace.AppendLine($"libtorch folder: {torchDir}");
        trace.AppendLine($"LibTorchSharp folder: {sharpDir}");
        foreach (var lib in new[] { "libtorch_cpu.so", "libtorch.so" })
            Load(Path.Combine(torchDir, lib));

        var original = Path.Combine(sharpDir, "libLibTorchSharp.so");
        var missing = MissingLibStdCxxVersions(original);
        if (missing.Count == 0)
        {
            Load(original);
            return;
        }
        trace.AppendLine($"system libstdc++ lacks {string.Join(", ", missing)}");
        var unsafeOnes = missing.Except(SafeToWeaken).ToList();
        if (unsafeOnes.Count > 0)
            throw new PlatformNotSupportedException(
                $"{original} needs libstdc++ versions {string.Join(", ", unsafeOnes)} that this system's " +
                "libstdc++.so.6 does not provide and that cannot safely be weakened. Install a newer libstdc++6.");
        Load(PatchedCopy(original, missing));
        UsedPatchedCopy = true;
    }

    static void Load(string path)
    {
        if (!NativeLibrary.TryLoad(path, out _))
        {
            // TryLoad hides dlerror; Load throws with it, which is the message a user needs.
            try { NativeLibrary.Load(path); }
            catch (DllNotFoundException e) { throw new DllNotFoundException($"could not load {path}: {e.Message}", e); }
        }
        trace.AppendLine($"loaded {path}");
    }

    /// <summary>Writes (once) the copy with the missing versions weakened; returns its path.</summary>
    static string PatchedCopy(string original, IReadOnlyList<string> missing)
    {
        var info = new FileInfo(original);
        var tag = $"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}";
        var dir = Path.Combine(CacheRoot, "native", $"torchsharp-{TorchSharpVersion}-{tag}");
        var target = Path.Combine(dir, "libLibTorchSharp.so");
        if (File.Exists(target))
        {
            trace.AppendLine($"reusing patched copy {target}");
            return target;
        }
        Directory.CreateDirectory(dir);
        var bytes = File.ReadAllBytes(original);
        foreach (var v in missing) ElfVersionPatch.MarkWeak(bytes, v);
        // Temp file then rename: a concurrent process never sees a half-written library.
        var tmp = Path.Combine(dir, $".libLibTorchSharp.so.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, target, overwrite: true);
        trace.AppendLine($"wrote patched copy {target}");
        return target;
    }

    /// <summary>The libstdc++ versions <paramref name="library"/> requires that the libstdc++
    /// this process has loaded does not define.</summary>
    static List<string> MissingLibStdCxxVersions(string library)
    {
        var required = ElfVersionPatch.RequiredVersions(File.ReadAllBytes(library))
            .Where(r => r.File.StartsWith("libstdc++", StringComparison.Ordinal))
            .Select(r => r.Version).Distinct().ToList();
        var system = LoadedLibStdCxx();
        if (system is null)
        {
            trace.AppendLine("libstdc++ not found in /proc/self/maps; assuming it is complete");
            return [];
        }
        trace.AppendLine($"system libstdc++: {system}");
        var text = Encoding.ASCII.GetString(File.ReadAllBytes(system));
        return required.Where(v => !text.Contains(v + "\0", StringComparison.Ordinal)).ToList();
    }

    static string? LoadedLibStdCxx()
    {
        // The .NET host links libstdc++, so it is mapped before any of our code runs.
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash < 0) continue;
                var path = line[slash..];
                if (Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal) && File.Exists(path))
                    return path;
            }
        }
        catch (IOException) { }
        return null;
    }

    static string TorchSharpVersion => Metadata("NotebookSlm.TorchSharpVersion");
    static string LibTorchVersion => Metadata("NotebookSlm.LibTorchVersion");

    internal static string Metadata(string key) =>
        typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata {key} missing: NotebookSlm.csproj sets it");

    /// <summary>Where libtorch_cpu.so and libLibTorchSharp.so live: beside the application
    /// (after a publish), else in the NuGet package folder.</summary>
    static (string TorchDir, string SharpDir) LocateNativeFolders()
    {
        const string rid = "runtimes/linux-x64/native";
        foreach (var baseDir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "" })
        {
            foreach (var candidate in new[] { baseDir, Path.Combine(baseDir, rid) })
                if (File.Exists(Path.Combine(candidate, "libtorch_cpu.so")) && File.Exists(Path.Combine(candidate, "libLibTorchSharp.so")))
                    return (candidate, candidate);
        }

        var roots = new List<string>();
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) roots.Add(env);
        // TorchSharp.dll loaded from the package folder (scripts, notebooks): .../torchsharp/<v>/lib/<tfm>/
        var asmDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (asmDir is not null && asmDir.Replace('\\', '/').Contains("/torchsharp/", StringComparison.OrdinalIgnoreCase))
            roots.Add(Path.GetFullPath(Path.Combine(asmDir, "..", "..", "..", "..")));
        roots.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"));

        foreach (var root in roots.Distinct())
        {
            var torchDir = Path.Combine(root, "libtorch-cpu-linux-x64", LibTorchVersion, rid);
            var sharpDir = Path.Combine(root, "torchsharp", TorchSharpVersion, rid);
            if (File.Exists(Path.Combine(torchDir, "libtorch_cpu.so")) && File.Exists(Path.Combine(sharpDir, "libLibTorchSharp.so")))
                return (torchDir, sharpDir);
            trace.AppendLine($"not in {root}");
        }
        throw new DllNotFoundException(
            $"libtorch-cpu-linux-x64 {LibTorchVersion} and TorchSharp {TorchSharpVersion} native files were not found " +
            $"in {string.Join(", ", roots.Distinct())}. Run `dotnet restore` (or `dotnet fsi build.fsx setup`) first.\n{trace}");
    }
}
