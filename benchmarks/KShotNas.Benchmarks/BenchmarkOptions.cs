namespace KShotNas.Benchmarks;

/// <summary>Command-line settings shared by the benchmarks.</summary>
public sealed record BenchmarkOptions(string Mode, int Threads, int Batch, int Steps, int Warmup, int Rounds, string Python, int Paths = 8, string? Only = null, bool BatchSet = false)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var mode = args.Length > 0 && !args[0].StartsWith("--") ? args[0] : "cnn";
        int Int(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
        }
        string? Str(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var py = Array.IndexOf(args, "--python");
        return new BenchmarkOptions(mode, Int("--threads", Environment.ProcessorCount), Int("--batch", 64), Int("--steps", 200),
            Int("--warmup", 20), Int("--rounds", 5), py >= 0 ? args[py + 1] : "/usr/bin/python3",
            Int("--paths", 8), Str("--only"), args.Contains("--batch"));
    }
}
