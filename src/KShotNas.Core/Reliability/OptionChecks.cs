namespace KShotNas.Reliability;

/// <summary>
/// Up-front checks of options and inputs, before any expensive work; each failure is an
/// <see cref="InvalidOptionException"/> naming the option and the accepted range. Shared by the CLI and the API.
/// </summary>
public static class OptionChecks
{
    /// <summary>Requires <paramref name="value"/> &gt;= <paramref name="min"/>.</summary>
    public static int AtLeast(string option, int value, int min) =>
        value >= min ? value : throw new InvalidOptionException(option, $"must be at least {min} (got {value}).");

    /// <summary>Requires <paramref name="value"/> &gt;= <paramref name="min"/>.</summary>
    public static long AtLeast(string option, long value, long min) =>
        value >= min ? value : throw new InvalidOptionException(option, $"must be at least {min} (got {value}).");

    /// <summary>Requires a finite value &gt; 0.</summary>
    public static double Positive(string option, double value) =>
        double.IsFinite(value) && value > 0 ? value : throw new InvalidOptionException(option, $"must be a finite number above 0 (got {value}).");

    /// <summary>Requires a finite value &gt;= 0.</summary>
    public static double NonNegative(string option, double value) =>
        double.IsFinite(value) && value >= 0 ? value : throw new InvalidOptionException(option, $"must be a finite number, 0 or more (got {value}).");

    /// <summary>Requires a finite value in [<paramref name="min"/>, <paramref name="max"/>] (or [min, max) when <paramref name="maxExclusive"/>).</summary>
    public static double InRange(string option, double value, double min, double max, bool maxExclusive = false) =>
        double.IsFinite(value) && value >= min && (maxExclusive ? value < max : value <= max)
            ? value
            : throw new InvalidOptionException(option, $"must be in [{min}, {max}{(maxExclusive ? ")" : "]")} (got {value}).");

    /// <summary>The most threads a command uses: more than the cores only slows libtorch and can exhaust the machine.</summary>
    public static int MaxThreads => Environment.ProcessorCount;

    /// <summary>
    /// Checks a thread count: below 1 is an error; above <see cref="MaxThreads"/> it is capped, and
    /// <paramref name="warn"/> is told why.
    /// </summary>
    public static int Threads(string option, int requested, Action<string> warn)
    {
        AtLeast(option, requested, 1);
        if (requested <= MaxThreads) return requested;
        warn($"{option} {requested} exceeds the {MaxThreads} cores of this machine; using {MaxThreads}.");
        return MaxThreads;
    }

    /// <summary>Requires an existing file.</summary>
    public static string ExistingFile(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidOptionException(option, "needs a file path.");
        if (Directory.Exists(path)) throw new InvalidOptionException(option, $"{path} is a folder, not a file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{option}: file not found: {path}", path);
        return path;
    }

    /// <summary>
    /// Requires that <paramref name="path"/> can be written as a file: its folder is created if missing, and a probe file
    /// is created there and deleted (so a read-only or full location fails now, not after hours of training).
    /// </summary>
    public static string WritableFile(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidOptionException(option, "needs a file path.");
        if (Directory.Exists(path)) throw new InvalidOptionException(option, $"{path} is a folder; give a file name.");
        Probe(option, Path.GetDirectoryName(Path.GetFullPath(path))!);
        return path;
    }

    /// <summary>Requires that <paramref name="path"/> is (or can be created as) a folder that accepts new files (probe file).</summary>
    public static string WritableFolder(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidOptionException(option, "needs a folder path.");
        if (File.Exists(path)) throw new InvalidOptionException(option, $"{path} is a file; give a folder.");
        Probe(option, Path.GetFullPath(path));
        return path;
    }

    private static void Probe(string option, string folder)
    {
        var probe = Path.Combine(folder, $".kshotnas-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOptionException(option, $"cannot write to {folder}: {e.Message}");
        }
    }
}
