using KShotNas.Reliability;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Serialization;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

/// <summary>The library's reliability guards, in-process: divergence, interruption checkpoints, labelled configurations, run locks, option checks.</summary>
public sealed class ReliabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-rel-").FullName;

    public ReliabilityTests() => TorchRuntime.Threads = 1;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Nb201Supernet Tiny()
    {
        TorchRuntime.ManualSeed(1);
        return new Nb201Supernet(TestData.Tiny);
    }

    [Fact]
    public void DivergingSupernetTrainingStopsAtTheStepAndKeepsTheLastGoodCheckpoint()
    {
        using var data = TestData.Synthetic(256, 3);
        using var net = Tiny();
        var path = Path.Combine(_dir, "d.safetensors");
        var options = new SupernetTrainerOptions { Epochs = 4, BatchSize = 32, LearningRate = 1e8, GradientClipNorm = null, CheckpointPath = path, CheckpointEvery = 1 };
        var e = Assert.Throws<DivergenceException>(() => new SupernetTrainer(options).Fit(net, data));
        Assert.True(e.Step > 1, e.Message);
        Assert.Contains($"step {e.Step}", e.Message);
        if (e.LastGoodCheckpoint is not null)
        {
            Assert.Equal(path, e.LastGoodCheckpoint);
            using var file = SafeTensors.Load(path); // finite: accepted
            Assert.Equal(e.LastGoodStep.ToString(), file.Metadata["step"]);
        }
    }

    [Fact]
    public void DivergingRetrainingStops()
    {
        using var data = TestData.Synthetic(128, 4);
        TorchRuntime.ManualSeed(2);
        using var net = new KShotNas.Deployment.StandaloneNetwork(TestData.Tiny, TestData.Tiny.Sample(new KShotNas.Spaces.CheckpointableRandom(1)));
        var e = Assert.Throws<DivergenceException>(() =>
            new ClassifierTrainer(new ClassifierTrainerOptions { Epochs = 3, BatchSize = 32, LearningRate = 1e12 }).Fit(net, data, data));
        Assert.Contains("training diverged at step", e.Message);
    }

    [Fact]
    public void CancellationWritesACheckpointThatResumesExactly()
    {
        using var data = TestData.Synthetic(256, 3);
        var path = Path.Combine(_dir, "c.safetensors");
        SupernetTrainerOptions Options() => new() { Epochs = 2, BatchSize = 32, Seed = 4, CheckpointPath = path, ReportEvery = 1 };
        float[] full;
        using (var net = Tiny())
        {
            new SupernetTrainer(new SupernetTrainerOptions { Epochs = 2, BatchSize = 32, Seed = 4 }).Fit(net, data);
            full = net.Parameters()[0].ToArray<float>();
        }
        using (var net = Tiny())
        {
            using var cts = new CancellationTokenSource();
            // Cancel after step 5 was reported: no epoch end or periodic checkpoint falls there.
            var progress = new SyncProgress<SupernetProgress>(p => { if (p.Step == 5) cts.Cancel(); });
            var e = Assert.Throws<RunInterruptedException>(() => new SupernetTrainer(Options()).Fit(net, data, progress, cts.Token));
            Assert.Contains("interrupted at step 5; checkpoint written", e.Message);
        }
        using (var net = Tiny())
        {
            var r = new SupernetTrainer(Options()).Fit(net, data, resumeFrom: path);
            Assert.Equal(11, r.StepLosses.Count);
            Assert.Equal(full, net.Parameters()[0].ToArray<float>());
        }
    }

    [Fact]
    public void ConfigurationsNameEveryDifference()
    {
        var saved = new RunConfiguration().Set("lr", 0.1).Set("train_images", 256).Set("max_flops", null);
        var now = new RunConfiguration().Set("lr", 0.1).Set("train_images", 512).Set("seed", 3);
        var same = RunConfiguration.FromJson(saved.ToJson());
        same.EnsureSameAs(saved, "x");
        var e = Assert.Throws<ConfigMismatchException>(() => saved.EnsureSameAs(now, "state.json"));
        Assert.Equal(["max_flops: saved none, now (not recorded)", "seed: saved (not recorded), now 3", "train_images: saved 256, now 512"], e.Differences);
        Assert.Contains("cannot resume state.json", e.Message);
    }

    [Fact]
    public void RunLockIsExclusiveAndReleasedOnDispose()
    {
        var output = Path.Combine(_dir, "out");
        using (RunLock.Acquire(output, isFolder: true))
        {
            var e = Assert.Throws<RunLockedException>(() => RunLock.Acquire(output, isFolder: true));
            Assert.Contains("in use by another kshotnas process", e.Message);
        }
        using (RunLock.Acquire(output, isFolder: true)) { }
    }

    [Fact]
    public void OptionChecksRefuseOutOfRangeValuesAndCapThreads()
    {
        Assert.Throws<InvalidOptionException>(() => OptionChecks.Positive("--lr", double.NaN));
        Assert.Throws<InvalidOptionException>(() => OptionChecks.Positive("--lr", double.PositiveInfinity));
        Assert.Throws<InvalidOptionException>(() => OptionChecks.AtLeast("--epochs", 0, 1));
        Assert.Throws<InvalidOptionException>(() => OptionChecks.InRange("--label-smoothing", 1, 0, 1, maxExclusive: true));
        string? warning = null;
        Assert.Equal(OptionChecks.MaxThreads, OptionChecks.Threads("--threads", 100_000, w => warning = w));
        Assert.Contains("exceeds", warning);
        var file = Path.Combine(_dir, "f");
        File.WriteAllText(file, "");
        var e = Assert.Throws<InvalidOptionException>(() => OptionChecks.WritableFile("--out", Path.Combine(file, "x.safetensors")));
        Assert.StartsWith("--out: cannot write", e.Message);
        Assert.Equal(["f"], Directory.GetFiles(_dir).Select(Path.GetFileName)); // the probe file is gone
    }
}
