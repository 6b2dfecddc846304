using KShotNas.Tests.Shared;
using KShotNas.Data;
using KShotNas.Models;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

public class ClassifierTrainerTests
{
    public ClassifierTrainerTests() => TorchRuntime.Threads = 2;

    /// <summary>SmallCnn from seed 0 trained on a 10,000-image subset, evaluated on the full test set.</summary>
    private static (TrainingResult Result, List<TrainingProgress> Reports) TrainOneEpoch(ClassifierTrainerOptions options)
    {
        TorchRuntime.ManualSeed(0);
        using var full = FashionMnist.Load(DataSplit.Train);
        using var train = full.Subset(10000, seed: 0);
        using var test = FashionMnist.Load(DataSplit.Test);
        using var model = new SmallCnn();
        var reports = new List<TrainingProgress>();
        var result = new ClassifierTrainer(options).Fit(model, train, test, new SyncProgress<TrainingProgress>(reports.Add));
        return (result, reports);
    }

    /// <summary>One epoch on a 10,000-image subset reaches at least 80% on the full test set.</summary>
    [Fact]
    public void SmallCnnLearnsFashionMnistInOneEpoch()
    {
        var (result, reports) = TrainOneEpoch(new ClassifierTrainerOptions { Epochs = 1, BatchSize = 64, LearningRate = 0.02 });
        Assert.True(result.TestAccuracy >= 0.80, $"test accuracy {result.TestAccuracy:P1}");
        Assert.Equal(157, result.Steps);
        Assert.NotEmpty(reports);
        Assert.True(reports[^1].Loss < reports[0].Loss, "loss should fall");
    }

    /// <summary>The seeds' RMSProp recipe (warm-up, step decay, EMA weights kept at the end) also learns in one epoch.</summary>
    [Fact]
    public void RmsPropRecipeWithEmaLearns()
    {
        var (result, reports) = TrainOneEpoch(new ClassifierTrainerOptions { Epochs = 1, Recipe = TrainingRecipe.RmsPropEma, ReportEvery = 10 });
        Assert.True(result.TestAccuracy >= 0.70, $"test accuracy {result.TestAccuracy:P1}");
        Assert.True(reports[0].LearningRate < reports[^5].LearningRate, "linear warm-up raises the rate first");
    }

    [Fact]
    public void TrainingHonoursCancellation()
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        using var small = test.Subset(2000, seed: 1);
        using var model = new SmallCnn();
        using var cts = new CancellationTokenSource();
        var trainer = new ClassifierTrainer(new ClassifierTrainerOptions { Epochs = 5, ReportEvery = 1 });
        var steps = 0L;
        var live = NativeTensors.Settled();
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(model, small, small,
            new SyncProgress<TrainingProgress>(p => { steps = p.Step; if (p.Step == 3) cts.Cancel(); }), cts.Token));
        Assert.Equal(3, steps);
        Assert.Equal(live, TorchRuntime.LiveNativeTensors); // nothing leaked by the interrupted step
    }
}

/// <summary>Step-counted and time-limited retraining (time-budgeted fits schedule by steps or by time, not by epochs).</summary>
public class RetrainingLengthTests
{
    public RetrainingLengthTests() => TorchRuntime.Threads = 2;

    [Fact]
    public void StepsAndMinimumStepsSetTheRunLength()
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        using var small = test.Subset(128, seed: 1); // 2 batches of 64 per epoch
        using var model = new SmallCnn();
        Assert.Equal(5, new ClassifierTrainer(new ClassifierTrainerOptions { Steps = 5, Epochs = 1 }).Fit(model, small, null).Steps);
        Assert.Equal(9, new ClassifierTrainer(new ClassifierTrainerOptions { Epochs = 1, MinimumSteps = 9 }).Fit(model, small, null).Steps);
        Assert.Equal(4, new ClassifierTrainer(new ClassifierTrainerOptions { Epochs = 2, MinimumSteps = 3 }).Fit(model, small, small).Steps);
    }

    /// <summary>A time limit ends training when the time is up, the schedule having run its whole course.</summary>
    [Fact]
    public void TimeLimitEndsTrainingWithTheScheduleDone()
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        using var small = test.Subset(256, seed: 1);
        using var model = new SmallCnn();
        var reports = new List<TrainingProgress>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = new ClassifierTrainer(new ClassifierTrainerOptions { Steps = 100_000, TimeLimit = TimeSpan.FromSeconds(2), ReportEvery = 5 })
            .Fit(model, small, null, new SyncProgress<TrainingProgress>(reports.Add));
        Assert.InRange(clock.Elapsed.TotalSeconds, 2, 4);
        Assert.True(result.Steps > 4 && result.Steps < 100_000, $"{result.Steps} steps");
        Assert.True(double.IsNaN(result.TestAccuracy)); // no test data given
        Assert.True(reports[^1].LearningRate < 0.2 * reports[0].LearningRate, "the cosine schedule should be near its end when the time is up");
        // The last report reads n/n, not n of the planned 100,000 (TimedProgress).
        Assert.Equal(result.Steps, reports[^1].Step);
        Assert.Equal(result.Steps, reports[^1].TotalSteps);
    }
}

public class AugmentationTests
{
    /// <summary>Shift and flip keep the shape, move or mirror the pixels, fill the border with the darkest value, and leak nothing.</summary>
    [Fact]
    public void ShiftAndFlipMoveThePixelsAndKeepTheShape()
    {
        var live = NativeTensors.Settled();
        using (var scope = TensorScope.Begin())
        {
            var values = Enumerable.Range(0, 2 * 1 * 6 * 6).Select(i => (float)i).ToArray();
            var x = Tensor.FromArray(values, 2, 1, 6, 6);
            Assert.Same(x, BatchAugmentation.Apply(x, Augmentation.None, new Random(0)));
            for (var seed = 0; seed < 20; seed++)
            {
                var y = BatchAugmentation.Apply(x, Augmentation.ShiftAndFlip, new Random(seed));
                Assert.Equal(x.Shape, y.Shape);
                var v = y.ToArray<float>();
                Assert.All(v, p => Assert.True(p == 0 || values.Contains(p))); // the border fill is the darkest value, 0
                var z = BatchAugmentation.Apply(x, Augmentation.ShiftAndFlip, new Random(seed));
                Assert.Equal(v, z.ToArray<float>()); // one seed, one augmentation
            }
            // Across seeds, some batch is shifted or mirrored (not every result equals the input).
            Assert.Contains(Enumerable.Range(0, 20), s => !BatchAugmentation.Apply(x, Augmentation.Shift, new Random(s)).ToArray<float>().SequenceEqual(values));
        }
        Assert.Equal(live, TorchRuntime.LiveNativeTensors);
    }
}
