using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

/// <summary>The one retrain-a-cell function and its seeding rule.</summary>
public class CellRetrainingTests
{
    public CellRetrainingTests() => TorchRuntime.Threads = 2;

    [Fact]
    public void TheSameSeedRetrainsTheSameNetworkAndAnotherSeedAnother()
    {
        using var data = TestData.Synthetic(128, 5);
        var cell = TestData.Tiny.Parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|");
        float[] Weights(int seed)
        {
            TorchRuntime.ManualSeed(999); // whatever the caller seeded before, the rule decides
            var (network, result) = CellRetraining.Retrain(TestData.Tiny, cell, data, data, new ClassifierTrainerOptions { Steps = 3, BatchSize = 32, Seed = seed });
            using (network)
            {
                Assert.Equal(3, result.Steps);
                return network.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();
            }
        }
        Assert.Equal(Weights(4), Weights(4));
        Assert.NotEqual(Weights(4), Weights(5));
        Assert.Equal(5UL, CellRetraining.InitializationSeed(4));
    }

    [Fact]
    public void DataOfAnotherShapeIsRefusedBeforeTraining()
    {
        using var data = TestData.Synthetic(64, 6, size: 10);
        var cell = TestData.Tiny.Sample(new Random(1));
        var e = Assert.Throws<ArgumentException>(() => CellRetraining.Retrain(TestData.Tiny, cell, data, null, new ClassifierTrainerOptions { Steps = 1 }));
        Assert.Contains("1x10x10", e.Message);
        Assert.Contains("1x8x8", e.Message);
    }
}
