using System.Diagnostics;
using KShotNas.Data;
using KShotNas.MLNet;
using KShotNas.Training;
using Microsoft.ML;

namespace KShotNas.MLNet.Tests;

/// <summary>Tests that measure wall time run alone: other fits in the same process would share the two cores.</summary>
[CollectionDefinition("wall time", DisableParallelization = true)]
public sealed class WallTimeCollection;

/// <summary>The time budget, the refit, step-counted retraining and reading a plain pixel vector as a square image.</summary>
[Collection("wall time")]
public class TimeBudgetTests
{
    private static IDataView Keyed(MLContext ml, IDataView rows) => ml.Transforms.Conversion.MapValueToKey("Label").Fit(rows).Transform(rows);

    /// <summary>Fashion-MNIST rows as most ML.NET tutorials load pixels: a plain 784-float vector, no image dimensions.</summary>
    private static IDataView PlainRows(MLContext ml, int count)
    {
        using var data = FashionMnist.Load(DataSplit.Train, normalize: false);
        var pixels = data.Images.ToArray<float>();
        var labels = data.Labels.ToArray<long>();
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(i => new VectorRow
        {
            Features = pixels.AsSpan(i * 784, 784).ToArray().Select(v => v * 255f).ToArray(), Label = FashionMnist.ClassNames[(int)labels[i]],
        }));
    }

    /// <summary>
    /// A fit with a time budget and no counts plans every stage and ends within the budget (+10 %): when it searches
    /// (MinimumSupernetSteps 0), by default (no search: the prior pick retrains, nothing is probed), and when the probe
    /// finds the supernet short of a minimum no budget reaches.
    /// </summary>
    [Theory]
    [InlineData(25, 0L)]
    [InlineData(8, null)]
    [InlineData(8, long.MaxValue)]
    public void FitEndsWithinItsTimeBudget(int seconds, long? minimumSupernetSteps)
    {
        var search = minimumSupernetSteps == 0;
        var ml = new MLContext(seed: 0);
        var raw = TestData.Rows(ml, 1200);
        var key = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw); // one key order for training and test rows
        var rows = key.Transform(raw);
        var trainer = ml.MulticlassClassification.Trainers.KShotNas(new KShotNasTrainer.Options
        {
            Recipe =
            {
                TimeBudget = TimeSpan.FromSeconds(seconds), MaxFlops = 3_000_000, Method = new KShotNas.Methods.SposMethod(), ScoringImages = 200,
                Threads = 2, MinimumSupernetSteps = minimumSupernetSteps,
            },
        });
        var clock = Stopwatch.StartNew();
        var model = trainer.Fit(rows);
        var elapsed = clock.Elapsed.TotalSeconds;
        Assert.True(elapsed <= 1.1 * seconds, $"Fit took {elapsed:F1} s of a {seconds} s budget");
        var r = trainer.LastResult!;
        var plan = r.Record.Plan!;
        Assert.NotNull(plan.RetrainTime);
        Assert.True(plan.RetrainStepsDone >= 1);
        Assert.True(r.Record.Durations.ContainsKey("retrain"));
        Assert.Equal(minimumSupernetSteps is not null, plan.SupernetStepSeconds > 0); // probed only when a search was asked for
        if (search)
        {
            Assert.Null(plan.PriorPick);
            Assert.NotNull(r.Search);
            Assert.True(plan.SupernetSteps >= 2);
            Assert.True(r.Record.Durations.ContainsKey("supernet") && r.Record.Durations.ContainsKey("search"));
        }
        else
        {
            Assert.Null(r.Search);
            Assert.Equal(plan.PriorPick, r.Architecture);
            Assert.Contains("prior pick", plan.Describe());
        }
        // The model is a working classifier whenever the retraining had steps enough to learn.
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(key.Transform(TestData.Rows(ml, 500, DataSplit.Test)))).MicroAccuracy;
        if (plan.RetrainStepsDone >= 100) Assert.True(accuracy > 0.5, $"test accuracy {accuracy:P1} after {plan.RetrainStepsDone} steps");
    }

    /// <summary>
    /// The supernet starts, projects from its own first steps fewer than the minimum and stops; the fit then retrains the
    /// prior pick in the time left and still ends within the budget. The probe is told never to skip (ProbeSkipShare 0),
    /// and no budget reaches a minimum of long.MaxValue steps, so the stop is certain whatever the machine's speed.
    /// </summary>
    [Fact]
    public void SupernetStoppedMidTrainingHandsItsTimeToThePriorPick()
    {
        const int seconds = 12;
        var ml = new MLContext(seed: 0);
        var raw = TestData.Rows(ml, 1200);
        var key = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        var trainer = ml.MulticlassClassification.Trainers.KShotNas(new KShotNasTrainer.Options
        {
            Recipe =
            {
                TimeBudget = TimeSpan.FromSeconds(seconds), MaxFlops = 3_000_000, Method = new KShotNas.Methods.SposMethod(), ScoringImages = 200,
                Threads = 2, MinimumSupernetSteps = long.MaxValue, ProbeSkipShare = 0,
            },
        });
        var clock = Stopwatch.StartNew();
        trainer.Fit(key.Transform(raw));
        var elapsed = clock.Elapsed.TotalSeconds;
        Assert.True(elapsed <= 1.1 * seconds, $"Fit took {elapsed:F1} s of a {seconds} s budget");
        var r = trainer.LastResult!;
        var plan = r.Record.Plan!;
        Assert.True(plan.SupernetStepSeconds > 0 && plan.ScoringSeconds > 0); // both probes ran: the plan was to search
        Assert.NotNull(plan.SupernetTime);
        Assert.True(plan.SupernetStepsDone >= 1, $"stopped after {plan.SupernetStepsDone} supernet steps");
        Assert.True(plan.ProjectedSupernetSteps >= plan.SupernetStepsDone);
        Assert.True(r.Record.Durations.ContainsKey("supernet"));
        Assert.False(r.Record.Durations.ContainsKey("search"));
        Assert.Null(r.Search);
        Assert.Equal(plan.PriorPick, r.Architecture);
        Assert.Contains("stopped after", plan.Describe());
        Assert.True(plan.RetrainStepsDone >= 1);
    }

    /// <summary>
    /// The scoring probe times candidates the search could score: within the limits, which exclude the costliest cells
    /// (unconstrained samples made the probe overestimate the search's scoring 2x).
    /// </summary>
    [Fact]
    public void ScoringProbeDrawsCandidatesWithinTheLimits()
    {
        var space = new Spaces.Nb201Space(Spaces.Nb201Options.FashionMnistSmall);
        var limits = new Search.SearchConstraints(MaxFlops: 3_000_000);
        var rng = new Random(1);
        var unconstrained = Enumerable.Range(0, 200).Count(_ => !limits.Allows(space, space.Sample(rng)));
        Assert.True(unconstrained > 20, $"only {unconstrained} of 200 random cells exceed the limit: the test shows nothing");
        for (var i = 0; i < 200; i++)
            Assert.True(limits.Allows(space, Api.CostProbe.ProbeCandidate(space, rng, limits)));
    }

    /// <summary>The probe keeps the median of its timed passes, so one pass slowed by other load does not move the plan.</summary>
    [Fact]
    public void CostProbeKeepsTheMedianPass()
    {
        Assert.Equal(0.15, Api.CostProbe.Median([0.15, 0.69, 0.14, 0.16, 0.15]));
        Assert.Equal(0.2, Api.CostProbe.Median([0.3, 0.1]), 12);
        Assert.Throws<ArgumentException>(() => Api.CostProbe.Median([]));
    }

    /// <summary>A negative MinimumSupernetSteps is refused before any data is read.</summary>
    [Fact]
    public void NegativeMinimumSupernetStepsIsRefused()
    {
        var recipe = new Api.NasRecipe { TimeBudget = TimeSpan.FromSeconds(10), MinimumSupernetSteps = -1 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(recipe.Validate);
        Assert.Contains("MinimumSupernetSteps", e.Message);
    }

    /// <summary>Counts set by the user win over the budget's plan for their stage.</summary>
    [Fact]
    public void ExplicitCountsWinOverTheTimeBudget()
    {
        var ml = new MLContext(seed: 0);
        var o = TestData.Tiny();
        o.Recipe.TimeBudget = TimeSpan.FromSeconds(30);
        o.Recipe.RetrainSteps = 7;
        var trainer = new KShotNasTrainer(ml, o);
        trainer.Fit(Keyed(ml, TestData.Rows(ml, 600)));
        var r = trainer.LastResult!;
        Assert.Null(r.Record.Plan!.SupernetTime); // SupernetEpochs = 1 was set
        Assert.Null(r.Record.Plan.SearchTime); // SearchBudget = 4 was set
        Assert.Null(r.Record.Plan.RetrainTime);
        Assert.Equal(4, r.Search!.Candidates.Count);
        Assert.Equal(7, r.Record.Retraining[^1].Step);
    }

    /// <summary>
    /// The refit retrains the pick on the training and validation rows together (more steps per epoch), and then
    /// reports no validation accuracy; without it the validation rows measure the retrained network.
    /// </summary>
    [Fact]
    public void RefitTrainsOnTrainingAndValidationRows()
    {
        var ml = new MLContext(seed: 0);
        var rows = Keyed(ml, TestData.Rows(ml, 600));
        var o = TestData.Tiny();
        o.Recipe.Architecture = "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|none~2|";
        var refit = new KShotNasTrainer(ml, o);
        refit.Fit(rows);
        o.Recipe.Refit = false;
        var plain = new KShotNasTrainer(ml, o);
        plain.Fit(rows);

        Assert.True(refit.LastResult!.Record.Refitted);
        Assert.True(double.IsNaN(refit.LastResult.ValidationAccuracy));
        Assert.Equal(2 * (int)Math.Ceiling(600 / 64.0), refit.LastResult.Record.Retraining[^1].TotalSteps); // 2 epochs of all 600 rows
        Assert.False(plain.LastResult!.Record.Refitted);
        Assert.InRange(plain.LastResult.ValidationAccuracy, 0.0, 1.0); // measured (not NaN)
        Assert.Equal(2 * (int)Math.Ceiling(480 / 64.0), plain.LastResult.Record.Retraining[^1].TotalSteps); // 2 epochs of the 480 training rows
    }

    /// <summary>A plain 784-value vector is read as 1x28x28 images (said in the log) and trains.</summary>
    [Fact]
    public void PlainPixelVectorIsReadAsASquareImage()
    {
        var ml = new MLContext(seed: 0);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var trainer = new KShotNasTrainer(ml, TestData.Tiny());
        trainer.Fit(Keyed(ml, PlainRows(ml, 400)));
        Assert.Contains("in=1,size=28", trainer.LastResult!.Space);
        Assert.Contains(log, l => l.Contains("784-value feature vector has no image dimensions: read as 1x28x28"));
    }

    [Theory]
    [InlineData(784, new[] { 1, 28, 28 })]
    [InlineData(3072, new[] { 3, 32, 32 })]
    [InlineData(2352, new[] { 3, 28, 28 })]
    [InlineData(785, null)]
    [InlineData(1000, null)]
    public void SquareReadingIsUniqueOrAbsent(int size, int[]? expected) => Assert.Equal(expected, InputSchema.SquareReading(size));
}
