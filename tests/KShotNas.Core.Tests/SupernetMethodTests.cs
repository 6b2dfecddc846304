using KShotNas.KShot;
using KShotNas.Methods;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

/// <summary>Supernet methods as components: their text form, their rules (one place each), what they build and train.</summary>
public class SupernetMethodTests
{
    public SupernetMethodTests() => TorchRuntime.Threads = 2;

    [Theory]
    [InlineData("spos", "spos")]
    [InlineData("FairNAS", "fairnas")]
    [InlineData("sandwich", "sandwich")]
    [InlineData("kshot:4", "kshot:4:fairnas")]
    [InlineData("kshot:2:spos", "kshot:2:spos")]
    [InlineData("fewshot:0", "fewshot:0:fairnas")]
    [InlineData("fewshot:3:sandwich", "fewshot:3:sandwich")]
    public void TextFormsRoundTrip(string text, string name)
    {
        var method = SupernetMethod.Parse(text);
        Assert.Equal(name, method.Name);
        Assert.Equal(name, SupernetMethod.Parse(method.Name).Name);
    }

    [Theory]
    [InlineData("darts")]
    [InlineData("kshot")]
    [InlineData("kshot:x")]
    [InlineData("fewshot:0:bogus")]
    [InlineData("spos:1")]
    public void BadTextFormsAreRefusedByName(string text) =>
        Assert.Contains(text, Assert.Throws<FormatException>(() => SupernetMethod.Parse(text)).Message);

    [Fact]
    public void KShotNeedsTwoCopiesAndDoesNotCombineWithFewShot()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KShotMethod(1));
        Assert.Contains("not combined", Assert.Throws<ArgumentException>(() => SupernetMethod.From(PathSampling.FairNas, k: 4, fewShotSplit: 0)).Message);
        Assert.IsType<KShotMethod>(SupernetMethod.From(PathSampling.Spos, k: 4));
        Assert.IsType<FewShotMethod>(SupernetMethod.From(PathSampling.Spos, fewShotSplit: 1));
        Assert.IsType<SposMethod>(SupernetMethod.From(PathSampling.Spos));
    }

    /// <summary>The rule "no momentum separation with the sandwich rule" lives with the sandwich method; every path to it reaches it.</summary>
    [Fact]
    public void SandwichRefusesMomentumSeparationWhereverItIsUsed()
    {
        var ms = new SupernetTrainerOptions { MomentumSeparation = true };
        Assert.Contains("sandwich", Assert.Throws<ArgumentException>(() => new SandwichMethod().Configure(ms)).Message);
        Assert.Contains("sandwich", Assert.Throws<ArgumentException>(() => new SupernetTrainer(new SupernetTrainerOptions { Sampling = PathSampling.Sandwich, MomentumSeparation = true })).Message);
        Assert.Contains("sandwich", Assert.Throws<ArgumentException>(() => new KShotMethod(2, PathSampling.Sandwich).Configure(ms)).Message);
        Assert.Contains("sandwich", Assert.Throws<ArgumentException>(() => new FewShotMethod(0, PathSampling.Sandwich).Configure(ms)).Message);
        new FairNasMethod().Configure(ms); // MS is defined for FairNAS
        Assert.Equal(PathSampling.Sandwich, new SandwichMethod().Configure(new SupernetTrainerOptions()).Sampling);
    }

    /// <summary>"K &gt; 1 means a simplex-net" is written once: the K-shot method builds both.</summary>
    [Fact]
    public void EachMethodBuildsItsSupernet()
    {
        using (var one = new FairNasMethod().Build(TestData.Tiny))
        {
            Assert.Equal(1, one.Weights.K);
            Assert.Null(one.Simplex);
        }
        using (var kshot = new KShotMethod(3) { Temperature = 0.5 }.Build(TestData.Tiny))
        {
            Assert.Equal(3, kshot.Weights.K);
            Assert.Equal(0.5, kshot.Simplex!.Temperature);
        }
        using (var few = new FewShotMethod(0).Build(TestData.Tiny))
            Assert.Equal(TestData.Tiny.Decisions[0].Count, Assert.IsType<FewShotSupernet>(few).SubSupernets.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FewShotMethod(99).Build(TestData.Tiny));
    }

    [Fact]
    public void KShotSettingsGoIntoTheConfiguredOptions()
    {
        var settings = new KShotOptions { SimplexPaths = 3, WarmupEpochs = 0.5 };
        var configured = new KShotMethod(2, PathSampling.Spos) { Settings = settings }.Configure(new SupernetTrainerOptions());
        Assert.Same(settings, configured.KShot);
        Assert.Equal(PathSampling.Spos, configured.Sampling);
    }

    /// <summary>Few-shot trains every sub-supernet; a time limit is shared between them, so the whole stays within it.</summary>
    [Fact]
    public void FewShotTrainsEverySubSupernetWithinOneTimeLimit()
    {
        using var data = TestData.Synthetic(256, 3);
        var method = new FewShotMethod(0, PathSampling.Spos);
        using var supernet = method.Build(TestData.Tiny);
        var options = new SupernetTrainerOptions { BatchSize = 32, Epochs = 1 };
        var counted = method.Train(supernet, data, options);
        Assert.Equal(8L * TestData.Tiny.Decisions[0].Count, counted.Steps); // 8 steps per sub-supernet
        var subs = TestData.Tiny.Decisions[0].Count;
        options.TimeLimit = TimeSpan.FromSeconds(5);
        options.Steps = 100_000;
        var timed = method.Train(supernet, data, options);
        // The training time of all sub-supernets together, measured inside the training loops (set-up between them does
        // not count). Shared, it is the limit plus at most one step's overshoot per sub-supernet; unshared, every
        // sub-supernet would take the whole limit (25 s). The margin allows for steps slowed 10-60x by a busy machine.
        Assert.True(timed.Duration.TotalSeconds < 0.6 * subs * 5, $"few-shot trained {timed.Duration.TotalSeconds:F1} s in all against a 5 s limit");
        Assert.True(timed.Steps > 0);
    }

    /// <summary>
    /// A time-limited run projects its steps from its own first steps: short of MinimumProjectedSteps it stops at
    /// ProjectionShare of the limit (abandoned); otherwise it trains to the limit and reports the projection.
    /// </summary>
    [Fact]
    public void TimeLimitedTrainingStopsWhenItsFirstStepsProjectTooFew()
    {
        using var data = TestData.Synthetic(256, 3);
        var method = new SposMethod();
        using var supernet = method.Build(TestData.Tiny);
        var options = new SupernetTrainerOptions { BatchSize = 32, Steps = 100_000, TimeLimit = TimeSpan.FromSeconds(3), MinimumProjectedSteps = long.MaxValue };
        var abandoned = method.Train(supernet, data, options);
        Assert.True(abandoned.Abandoned);
        Assert.False(abandoned.Completed);
        Assert.True(abandoned.Steps > 0);
        Assert.True(abandoned.ProjectedSteps >= abandoned.Steps, $"projected {abandoned.ProjectedSteps} from {abandoned.Steps} steps");
        // Stopped at 10 % of the limit (0.3 s), not at the limit; the margin allows for one step slowed by a busy machine.
        Assert.True(abandoned.Duration.TotalSeconds < 1.5, $"trained {abandoned.Duration.TotalSeconds:F1} s");

        options.MinimumProjectedSteps = 1;
        options.ReportEvery = 1_000_000; // only the report when the time is up
        var reports = new List<SupernetProgress>();
        var kept = method.Train(supernet, data, options, new SyncProgress<SupernetProgress>(reports.Add));
        Assert.False(kept.Abandoned);
        Assert.True(kept.Completed);
        Assert.NotNull(kept.ProjectedSteps);
        Assert.True(kept.Duration.TotalSeconds >= 3);
        // The run reports when its time is up, and that report reads n/n, not n of the planned 100,000 (TimedProgress).
        var last = Assert.Single(reports);
        Assert.Equal(kept.Steps, last.Step);
        Assert.Equal(kept.Steps, last.TotalSteps);
    }
}
