using System.Runtime.InteropServices;

namespace KShotNas.Cli.Tests;

/// <summary>
/// Supernet training survives kill -9 and signals without losing or mixing work: checkpoints are whole, resume is exact,
/// a changed configuration or a second process is refused, and an existing run is never overwritten.
/// </summary>
public sealed class SupernetRunTests : IDisposable
{
    // 1,024 images at batch 32: 32 steps an epoch, 2 epochs; a checkpoint every 4 steps.
    private static readonly string[] Run2Epochs =
        ["supernet-train", "--train-images", "1024", "--batch-size", "32", "--threads", "1", "--epochs", "2", "--checkpoint-every", "4"];

    private static readonly Lazy<byte[]> Reference = new(() =>
    {
        using var cli = new CliRunner();
        var r = cli.Run([.. Run2Epochs, "--out", "ref.safetensors"]);
        if (r.ExitCode != 0) throw new InvalidOperationException("reference run failed: " + r);
        return File.ReadAllBytes(cli.PathOf("ref.safetensors"));
    });

    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Out => _cli.PathOf("run.safetensors");

    [Fact]
    public void KillDashNineThenResumeEqualsAnUninterruptedRun()
    {
        using (var p = _cli.Start([.. Run2Epochs, "--out", "run.safetensors"]))
        {
            p.WaitUntil(() => File.Exists(Out), TimeSpan.FromSeconds(90), "the first checkpoint");
            p.KillHard();
            p.Wait(TimeSpan.FromSeconds(30));
        }
        var resumed = _cli.Run([.. Run2Epochs, "--out", "run.safetensors", "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(Reference.Value, File.ReadAllBytes(Out));
    }

    [Theory]
    [InlineData(PosixSignal.SIGTERM, 143)]
    [InlineData(PosixSignal.SIGINT, 130)]
    public void SignalWritesACheckpointAndTheRunResumesExactly(PosixSignal signal, int exitCode)
    {
        CliResult stopped;
        using (var p = _cli.Start([.. Run2Epochs, "--out", "run.safetensors"]))
        {
            p.WaitUntil(() => File.Exists(Out), TimeSpan.FromSeconds(90), "the first checkpoint");
            // A second process on the same --out is refused while the first runs.
            var second = _cli.Run([.. Run2Epochs, "--out", "run.safetensors", "--resume"]);
            Assert.True(second.ExitCode == 1, second.ToString());
            Assert.Contains("in use by another kshotnas process", second.Stderr);
            p.Signal(signal);
            stopped = p.Wait(TimeSpan.FromSeconds(60));
        }
        Assert.True(stopped.ExitCode == exitCode, stopped.ToString());
        Assert.Matches(@"interrupted at step \d+; checkpoint written to", stopped.Stderr);
        var resumed = _cli.Run([.. Run2Epochs, "--out", "run.safetensors", "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(Reference.Value, File.ReadAllBytes(Out));
    }

    [Fact]
    public void ResumeWithOtherDataSizeIsRefusedNamingTheSetting()
    {
        var first = _cli.Run(["supernet-train", .. Fixtures.TinyTraining, "--epochs", "1", "--out", "run.safetensors"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = File.ReadAllBytes(Out);
        var r = _cli.Run(["supernet-train", "--train-images", "512", "--batch-size", "32", "--threads", "1", "--epochs", "1", "--resume", "--out", "run.safetensors"]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("train_images: saved 256, now 512", r.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Out));
    }

    [Fact]
    public void ExistingCheckpointIsNeverOverwrittenWithoutResume()
    {
        File.Copy(Fixtures.TinyCheckpoint, Out);
        var r = _cli.Run(["supernet-train", .. Fixtures.TinyTraining, "--epochs", "1", "--out", "run.safetensors"]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("add --resume", r.Stderr);
        Assert.Equal(File.ReadAllBytes(Fixtures.TinyCheckpoint), File.ReadAllBytes(Out));
    }

    [Fact]
    public void FewShotResumeDoesNotReplaceAOneShotCheckpoint()
    {
        File.Copy(Fixtures.TinyCheckpoint, Out);
        var r = _cli.Run(["supernet-train", .. Fixtures.TinyTraining, "--epochs", "1", "--few-shot", "0", "--resume", "--out", "run.safetensors"]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("few_shot_split: saved -1, now 0", r.Stderr);
        Assert.Equal(File.ReadAllBytes(Fixtures.TinyCheckpoint), File.ReadAllBytes(Out));
    }

    [Fact]
    public void StaleTemporaryFilesOfKilledWritesAreCleanedUp()
    {
        // What a kill -9 during a checkpoint write leaves: a temporary file of a process that no longer runs.
        var stale = _cli.PathOf($".run.safetensors.{int.MaxValue - 7}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(stale, new byte[100]);
        var r = _cli.Run(["supernet-train", .. Fixtures.TinyTraining, "--epochs", "1", "--out", "run.safetensors"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(File.Exists(stale));
        Assert.Empty(Directory.GetFiles(_cli.Dir, "*.tmp"));
    }
}
