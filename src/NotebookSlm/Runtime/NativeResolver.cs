using System.Reflection;
using System.Runtime.InteropServices;

namespace NotebookSlm.Runtime;

/// <summary>
/// Finds a package's native library where .NET's own probing does not look. A compiled
/// program resolves <c>runtimes/&lt;rid&gt;/native/</c> through its deps.json; F# Interactive
/// and notebook kernels have no deps.json for our packages, so a <c>[DllImport]</c> of, say,
/// Tokenizers.DotNet's <c>hf_tokenizers</c> fails there. This resolver tries the normal load
/// first, then the assembly's <c>runtimes/&lt;rid&gt;/native/</c> folder, then the NuGet package folder.
/// </summary>
public static class NativeResolver
{
    static readonly HashSet<Assembly> Registered = [];

    /// <summary>Registers (once) a resolver for <paramref name="assembly"/>'s imports, whose
    /// native files ship in the NuGet package <paramref name="packageId"/> at <paramref name="version"/>.</summary>
    public static void Register(Assembly assembly, string packageId, string version)
    {
        lock (Registered)
        {
            if (!Registered.Add(assembly)) return;
            try
            {
                NativeLibrary.SetDllImportResolver(assembly, (name, asm, searchPath) =>
                {
                    if (NativeLibrary.TryLoad(name, asm, searchPath, out var handle)) return handle;
                    foreach (var candidate in Candidates(asm, name, packageId, version))
                        if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out handle)) return handle;
                    return IntPtr.Zero;
                });
            }
            catch (InvalidOperationException)
            {
                // The assembly installed its own resolver; it knows best.
            }
        }
    }

    static IEnumerable<string> Candidates(Assembly asm, string name, string packageId, string version)
    {
        var rid = RuntimeInformation.RuntimeIdentifier.StartsWith("linux", StringComparison.Ordinal) ? $"linux-{Arch}"
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? $"osx-{Arch}" : $"win-{Arch}";
        var files = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? new[] { name + ".dll" }
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? new[] { $"lib{name}.dylib", name + ".dylib" }
            : new[] { $"lib{name}.so", name + ".so" };
        var dirs = new List<string>();
        var asmDir = Path.GetDirectoryName(asm.Location);
        if (!string.IsNullOrEmpty(asmDir)) dirs.Add(Path.Combine(asmDir, "runtimes", rid, "native"));
        var nuget = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(nuget)) nuget = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        dirs.Add(Path.Combine(nuget, packageId.ToLowerInvariant(), version, "runtimes", rid, "native"));
        return dirs.SelectMany(d => files.Select(f => Path.Combine(d, f)));
    }

    static string Arch => RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
}
