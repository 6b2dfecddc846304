using System.Text.Json;
using System.Text.Json.Serialization;
using KShotNas.Api;
using KShotNas.Methods;
using KShotNas.Spaces;
using KShotNas.Training;

namespace KShotNas.Api.Tests;

/// <summary>The one recipe: its defaults, its checks (a test per rule), the preset, JSON and what it maps onto.</summary>
public class NasRecipeTests
{
    private static readonly long[] FashionShape = [1, 28, 28];

    [Fact]
    public void DefaultsAreTheMeasuredOnesAndMapOntoTheEngines()
    {
        var r = new NasRecipe();
        Assert.IsType<FairNasMethod>(r.Method);
        Assert.True(r.Calr && r.MomentumSeparation && r.Refit);
        Assert.Equal(2048, r.ScoringImages);
        Assert.Null(r.RetrainAugmentation); // automatic
        Assert.Equal(Augmentation.None, r.AugmentationFor(steps: 1000, batchSize: 64, rows: 60_000)); // ~1 pass
        Assert.Equal(Augmentation.None, r.AugmentationFor(steps: 10_000, batchSize: 64, rows: 60_000)); // ~10.7 passes: lost 0.75 augmented
        Assert.Equal(Augmentation.ShiftAndFlip, r.AugmentationFor(steps: 4000, batchSize: 64, rows: 7_500)); // ~34 passes
        Assert.Equal(Augmentation.Shift, new NasRecipe { RetrainAugmentation = Augmentation.Shift }.AugmentationFor(1, 64, 60_000));
        var supernet = r.SupernetOptions();
        Assert.Equal((PathSampling.FairNas, true, true, NasRecipe.DefaultSupernetEpochs), (supernet.Sampling, supernet.Calr, supernet.MomentumSeparation, supernet.Epochs));
        var retrain = r.RetrainOptions();
        Assert.Equal((NasRecipe.DefaultRetrainEpochs, NasRecipe.DefaultMinimumRetrainSteps), (retrain.Epochs, retrain.MinimumSteps));
        Assert.Null(r.BudgetOptions());
        r.RetrainEpochs = 2;
        Assert.Equal(0, r.RetrainOptions().MinimumSteps); // epochs set by the user are kept as they are
    }

    [Fact]
    public void ATimeBudgetPlansOnlyTheStagesWhoseCountsAreOpen()
    {
        var r = new NasRecipe { TimeBudget = TimeSpan.FromSeconds(60), SearchBudget = 10 };
        var b = r.BudgetOptions()!;
        Assert.Equal((true, false, true), (b.PlanSupernet, b.PlanSearch, b.PlanRetrain));
        Assert.Same(TimeBudgetShares.Default, b.Shares);
        r.RetrainSteps = 100;
        Assert.False(r.BudgetOptions()!.PlanRetrain);
    }

    [Fact]
    public void TheMainJobIsAPresetOfTheRecipe()
    {
        var m = NasRecipe.MainJob();
        Assert.Equal(TimeSpan.FromSeconds(NasRecipe.MainJobTimeBudgetSeconds), m.TimeBudget);
        Assert.Equal(new TimeBudgetShares(0.55, 0.15, 0.30), m.TimeBudgetShares);
        Assert.Null(m.SupernetEpochs);
        var untimed = NasRecipe.MainJob(null);
        Assert.Equal((2, 200, 3), (untimed.SupernetEpochs, untimed.SearchBudget, untimed.RetrainEpochs));
        untimed.Validate();
    }

    [Theory]
    [InlineData("SupernetEpochs")]
    [InlineData("BatchSize")]
    [InlineData("ScoringImages")]
    [InlineData("MaxFlops")]
    [InlineData("TimeBudget")]
    [InlineData("Threads")]
    public void OutOfRangeSettingsAreNamed(string name)
    {
        var r = new NasRecipe();
        switch (name)
        {
            case "SupernetEpochs": r.SupernetEpochs = 0; break;
            case "BatchSize": r.BatchSize = 1; break;
            case "ScoringImages": r.ScoringImages = 1; break;
            case "MaxFlops": r.MaxFlops = 0; break;
            case "TimeBudget": r.TimeBudget = TimeSpan.Zero; break;
            case "Threads": r.Threads = 0; break;
        }
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(r.Validate).ParamName);
    }

    /// <summary>Cross-setting rules: each reaches the recipe's one Validate.</summary>
    [Fact]
    public void CrossRulesAreCheckedByValidate()
    {
        Assert.Contains("sandwich", Assert.Throws<ArgumentException>(new NasRecipe { Method = new SandwichMethod() }.Validate).Message);
        new NasRecipe { Method = new SandwichMethod(), MomentumSeparation = false }.Validate();
        var warmup = new NasRecipe { Method = new KShotMethod(2) { Settings = new KShot.KShotOptions { WarmupEpochs = 3 } }, SupernetEpochs = 2 };
        Assert.Contains("WarmupEpochs", Assert.Throws<ArgumentOutOfRangeException>(warmup.Validate).Message);
        Assert.Throws<ArgumentOutOfRangeException>(new NasRecipe { TimeBudgetShares = new TimeBudgetShares(0.5, 0.5, 0.5) }.Validate);
    }

    [Fact]
    public void TheSpaceIsCheckedAgainstTheDataAndTheLimitsBeforeAnyPixel()
    {
        var space = new NasRecipe().SpaceFor(FashionShape, 10);
        Assert.Equal("nb201:C=8,N=1,in=1,size=28,classes=10", SpaceCatalog.Describe(space));
        var other = new NasRecipe { Space = SpaceCatalog.Create("nb201:C=8,N=1,in=3,size=32,classes=10") };
        Assert.Contains("3x32x32", Assert.Throws<ArgumentException>(() => other.SpaceFor(FashionShape, 10)).Message);
        Assert.Contains("MaxFlops", Assert.ThrowsAny<ArgumentException>(() => new NasRecipe { MaxFlops = 10 }.SpaceFor(FashionShape, 10)).Message);
        var big = new NasRecipe { MaxFlops = 3_000_000, Architecture = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|" };
        Assert.Contains("over MaxFlops", Assert.Throws<ArgumentException>(() => big.SpaceFor(FashionShape, 10)).Message);
        Assert.Contains("not an architecture", Assert.Throws<ArgumentException>(() => new NasRecipe { Architecture = "|x|" }.SpaceFor(FashionShape, 10)).Message);
    }

    [Fact]
    public void TheRecipeRoundTripsThroughJson()
    {
        var json = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };
        var r = NasRecipe.MainJob();
        (r.Space, r.Method, r.MaxFlops, r.RetrainSteps, r.Seed) = (SpaceCatalog.Create("nb201:fashion-small"), new KShotMethod(4, PathSampling.Spos), 3_000_000, 1234, 7);
        var back = JsonSerializer.Deserialize<NasRecipe>(JsonSerializer.Serialize(r, json), json)!;
        Assert.Equal(SpaceCatalog.Describe(r.Space), SpaceCatalog.Describe(back.Space!));
        Assert.Equal("kshot:4:spos", back.Method.Name);
        Assert.Equal((r.MaxFlops, r.RetrainSteps, r.Seed, r.TimeBudget, r.TimeBudgetShares, r.RetrainAugmentation),
            (back.MaxFlops, back.RetrainSteps, back.Seed, back.TimeBudget, back.TimeBudgetShares, back.RetrainAugmentation));
        Assert.Equal(r.Describe(), back.Describe());
    }
}
