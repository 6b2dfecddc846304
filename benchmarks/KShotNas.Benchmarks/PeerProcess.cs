using System.Diagnostics;
using System.Globalization;

namespace KShotNas.Benchmarks;

/// <summary>Runs a Python peer script and reads the `images_per_sec=` line it prints.</summary>
public static class PeerProcess
{
    public static double ImagesPerSecond(string python, string script, string arguments)
    {
        var info = new ProcessStartInfo(python, $"\"{script}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {python}");
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"peer failed ({process.ExitCode}): {stderr}");
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("images_per_sec="))
                   ?? throw new InvalidOperationException($"peer printed no result: {stdout}");
        return double.Parse(line["images_per_sec=".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>The repository's benchmarks/peers folder, found from the executable's location.</summary>
    public static string PeerScript(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "benchmarks", "peers", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"peer script {name} not found above {AppContext.BaseDirectory}");
    }
}
