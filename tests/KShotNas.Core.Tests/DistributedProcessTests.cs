using System.Diagnostics;
using System.Globalization;
using System.Text;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch.Distributed;
using KShotNas.Torch.Serialization;

namespace KShotNas.Core.Tests;

/// <summary>
/// Real processes of the kshotnas command line on loopback: a killed rank, distributed scoring and search through
/// `kshotnas launch`, compared with one process.
/// </summary>
public sealed class DistributedProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-dproc-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>The command line built next to this test assembly's configuration (src/KShotNas.Cli/bin/CONFIG/net10.0).</summary>
    private static string CliDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = dir.Name;
        var config = dir.Parent!.Name;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KShotNas.sln"))) dir = dir.Parent;
        var dll = Path.Combine(dir!.FullName, "src", "KShotNas.Cli", "bin", config, tfm, "kshotnas.dll");
        Assert.True(File.Exists(dll), $"build the command line first: {dll}");
        return dll;
    }

    private sealed class Cli : IDisposable
    {
        private readonly StringBuilder _output = new();
        public Process Process { get; }

        public Cli(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(CliDll());
            foreach (var a in args) info.ArgumentList.Add(a);
            foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
            Process = new Process { StartInfo = info };
            Process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            Process.Start();
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public int Wait(TimeSpan limit)
        {
            if (!Process.WaitForExit(limit))
            {
                Process.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException($"still running after {limit}:\n{Output}");
            }
            Process.WaitForExit();
            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static Dictionary<string, string> Rank(int rank, int port) => new()
    {
        ["RANK"] = rank.ToString(CultureInfo.InvariantCulture), ["WORLD_SIZE"] = "2", ["MASTER_ADDR"] = "127.0.0.1",
        ["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public void KillingARankStopsTheOtherWithinTheTimeoutNamingItAndBothResume()
    {
        var ckpt = Path.Combine(_dir, "sn.safetensors");
        // 512 images, global batch 64: 8 steps an epoch, a checkpoint at each epoch end; progress every 20 steps.
        string[] Args(bool resume) => ["supernet-train", "--train-images", "512", "--epochs", "3", "--threads", "1", "--dist-timeout", "20",
            "--out", ckpt, .. resume ? new[] { "--resume" } : []];
        var port = LaunchSettings.FreeLoopbackPort();
        using (var rank0 = new Cli(Args(false), Rank(0, port)))
        using (var rank1 = new Cli(Args(false), Rank(1, port)))
        {
            var clock = Stopwatch.StartNew();
            while (!rank1.Output.Contains("step 20/24") && clock.Elapsed < TimeSpan.FromSeconds(60) && !rank1.Process.HasExited) Thread.Sleep(20);
            Assert.Contains("step 20/24", rank1.Output);
            rank1.Process.Kill(); // SIGKILL mid-run, in epoch 3
            var killed = Stopwatch.StartNew();
            var code = rank0.Wait(TimeSpan.FromSeconds(40));
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(25), $"rank 0 took {killed.Elapsed} to stop");
            Assert.NotEqual(0, code);
            Assert.Matches("failed on rank 0 after .*rank.* 1", rank0.Output);
            Assert.Contains("gradient all-reduce", rank0.Output);
        }
        using (var file = SafeTensors.Load(ckpt)) Assert.Equal("16", file.Metadata["step"]); // rank 0's epoch-2 checkpoint is intact
        port = LaunchSettings.FreeLoopbackPort();
        using var again0 = new Cli(Args(true), Rank(0, port));
        using var again1 = new Cli(Args(true), Rank(1, port));
        Assert.Equal(0, again0.Wait(TimeSpan.FromSeconds(90)));
        Assert.Equal(0, again1.Wait(TimeSpan.FromSeconds(30)));
        Assert.Contains("24 steps", again0.Output);
    }

    [Fact]
    public void LaunchedScoringAndSearchEqualOneProcess()
    {
        var ckpt = Path.Combine(_dir, "fresh.safetensors");
        using (var net = SupernetFile.Create(SpaceCatalog.Create("nb201:fashion-small"))) SupernetFile.Save(ckpt, net);
        string[] Score(string output) => ["supernet-score", "--checkpoint", ckpt, "--sample", "4", "--rank-images", "256", "--threads", "1", "--out", output];
        string[] Search(string output) => ["search", "--checkpoint", ckpt, "--strategy", "evolution", "--budget", "6", "--rank-images", "256", "--seed", "3",
            "--max-flops", "3000000", "--out", output];
        string[] Launch(string[] command) => ["launch", "--nproc", "2", "--", .. command];
        var one = Path.Combine(_dir, "one");
        var two = Path.Combine(_dir, "two");
        foreach (var args in new[] { Score(one + ".csv"), Launch(Score(two + ".csv")), Search(one), Launch(Search(two)) })
        {
            using var cli = new Cli(args);
            Assert.True(cli.Wait(TimeSpan.FromSeconds(120)) == 0, cli.Output);
            if (args[0] == "launch") Assert.Contains("[rank 1]", cli.Output);
        }
        Assert.Equal(File.ReadAllText(one + ".csv"), File.ReadAllText(two + ".csv"));
        Assert.Equal(File.ReadAllText(Path.Combine(one, "candidates.csv")), File.ReadAllText(Path.Combine(two, "candidates.csv")));
    }
}
