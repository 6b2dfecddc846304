using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

/// <summary>
/// Finds and loads the native shim, and checks that its ABI version matches this binding before
/// any P/Invoke into it runs. A missing or stale library gives a <see cref="NativeLibraryException"/>
/// saying what to run.
/// </summary>
internal static class NativeLibraryLoader
{
    internal const string LibraryName = "kshotnas_torch";
    internal const int ExpectedAbiVersion = 9;
    private const string FileName = "libkshotnas_torch.so";
    private const string Fix = "Run ./scripts/setup.sh (or `dotnet build`) from the repository root, "
                               + "or set KSHOTNAS_NATIVE_DIR to the folder holding " + FileName + ".";

    private static IntPtr s_handle;
    private static readonly object s_lock = new();

    // A library may use a module initializer here: the resolver must be set before any P/Invoke of this assembly.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != LibraryName) return IntPtr.Zero;
        lock (s_lock)
        {
            if (s_handle != IntPtr.Zero) return s_handle;
            var handle = LoadFromCandidates();
            CheckAbi(handle);
            s_handle = handle;
            return handle;
        }
    }

    private static IntPtr LoadFromCandidates()
    {
        var tried = new List<string>();
        var errors = new List<string>();
        foreach (var dir in CandidateDirectories().Select(Path.GetFullPath).Distinct())
        {
            var file = Path.Combine(dir, FileName);
            tried.Add(file);
            if (!File.Exists(file)) continue;
            if (NativeLibrary.TryLoad(file, out var handle)) return handle;
            // The file exists but failed to load: most often libtorch itself is missing.
            errors.Add($"{file} exists but could not be loaded (is libtorch-dev installed?)");
        }
        var detail = errors.Count > 0 ? string.Join("; ", errors) : "not found in: " + string.Join(", ", tried);
        throw new NativeLibraryException($"The KShotNas native shim {FileName} is unavailable: {detail}. {Fix}");
    }

    private static IEnumerable<string> CandidateDirectories()
    {
        var env = Environment.GetEnvironmentVariable("KSHOTNAS_NATIVE_DIR");
        if (!string.IsNullOrEmpty(env)) yield return env;
        yield return AppContext.BaseDirectory;
        var asmDir = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(asmDir)) yield return asmDir;
    }

    private static unsafe void CheckAbi(IntPtr handle)
    {
        if (!NativeLibrary.TryGetExport(handle, "kst_abi_version", out var fn))
            throw new NativeLibraryException($"{FileName} exports no ABI version: it is not the KShotNas shim. {Fix}");
        var version = ((delegate* unmanaged<int>)fn)();
        if (version != ExpectedAbiVersion)
            throw new NativeLibraryException(
                $"{FileName} has ABI version {version}, this binding needs {ExpectedAbiVersion}: the library is stale. {Fix}");
    }
}
