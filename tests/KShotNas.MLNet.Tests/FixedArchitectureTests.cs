using KShotNas.MLNet;
using Microsoft.ML;

namespace KShotNas.MLNet.Tests;

/// <summary><see cref="KShotNas.Api.NasRecipe.Architecture"/>: retraining a known cell with the recipe a search would use.</summary>
public class FixedArchitectureTests
{
    /// <summary>
    /// Given the pick of a search as a fixed architecture, the trainer skips the supernet and the search and retrains
    /// it exactly as the search's fit did (same seed: same validation accuracy, same exported model).
    /// </summary>
    [Fact]
    public void FixedArchitectureReproducesTheSearchedRetraining()
    {
        var ml = new MLContext(seed: 0);
        var rows = ml.Transforms.Conversion.MapValueToKey("Label").Fit(TestData.Rows(ml, 600)).Transform(TestData.Rows(ml, 600));
        var searched = new KShotNasTrainer(ml, TestData.Tiny());
        searched.Fit(rows);
        var pick = searched.LastResult!;
        Assert.NotNull(pick.Search);

        var o = TestData.Tiny();
        o.Recipe.Architecture = pick.Architecture;
        var fixedTrainer = new KShotNasTrainer(ml, o);
        fixedTrainer.Fit(rows);
        var retrained = fixedTrainer.LastResult!;
        Assert.Null(retrained.Search);
        Assert.Equal(pick.Architecture, retrained.Architecture);
        Assert.False(retrained.Record.Durations.ContainsKey("supernet"));
        Assert.Empty(retrained.Record.SupernetLosses);
        Assert.Equal(pick.ValidationAccuracy, retrained.ValidationAccuracy);
        Assert.Equal(pick.OnnxModel, retrained.OnnxModel);
    }

    [Fact]
    public void AnArchitectureOfAnotherFormIsRefusedBeforeTraining()
    {
        var ml = new MLContext(seed: 0);
        var rows = ml.Transforms.Conversion.MapValueToKey("Label").Fit(TestData.Rows(ml, 50)).Transform(TestData.Rows(ml, 50));
        var o = TestData.Tiny();
        o.Recipe.Architecture = "|conv_7x7~0|+|";
        var e = Assert.Throws<ArgumentException>(() => new KShotNasTrainer(ml, o).Fit(rows));
        Assert.Contains("|conv_7x7~0|+|", e.Message);
        Assert.Contains("is not an architecture of space", e.Message);
    }

    [Fact]
    public void AnArchitectureOverTheFlopsLimitIsRefused()
    {
        var ml = new MLContext(seed: 0);
        var rows = ml.Transforms.Conversion.MapValueToKey("Label").Fit(TestData.Rows(ml, 50)).Transform(TestData.Rows(ml, 50));
        var o = TestData.Tiny();
        o.Recipe.MaxFlops = 1_000_000;
        o.Recipe.Architecture = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
        var e = Assert.Throws<ArgumentException>(() => new KShotNasTrainer(ml, o).Fit(rows));
        Assert.Contains("over MaxFlops 1,000,000", e.Message);
    }
}
