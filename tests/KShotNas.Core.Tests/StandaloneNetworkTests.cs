using KShotNas.Data;
using KShotNas.Deployment;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

public class StandaloneNetworkTests
{
    public StandaloneNetworkTests() => TorchRuntime.Threads = 2;

    [Theory]
    [InlineData("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 0, 0)]
    [InlineData("|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|", 2, 3)]
    [InlineData("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|", 5, 0)]
    public void Nb201NetworksHaveThePublishedParameterCount(string cell, int n3, int n1)
    {
        var space = new Nb201Space();
        using var net = new StandaloneNetwork(space, space.Parse(cell));
        Assert.Equal(73_306L + 243_040L * n3 + 28_000L * n1, net.ParameterCount());
        using var scope = TensorScope.Begin();
        Assert.Equal(new long[] { 2, 10 }, net.Forward(Tensor.Randn([2, 3, 32, 32])).Shape);
    }

    [Fact]
    public void MacroNetworksMatchTheirProfiles()
    {
        var rng = new CheckpointableRandom(3);
        var macro = new NasBenchMacroSpace();
        var mobile = new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall);
        using var scope = TensorScope.Begin();
        foreach (var (space, input) in new (SearchSpace, long[])[] { (macro, [2, 3, 32, 32]), (mobile, [2, 1, 28, 28]) })
            for (var i = 0; i < 6; i++)
            {
                var a = space.Sample(rng);
                using var net = new StandaloneNetwork(space, a);
                Assert.Equal(space.Profile(a).Params, net.ParameterCount());
                Assert.Equal(new long[] { 2, 10 }, net.Forward(Tensor.Randn(input)).Shape);
            }
        // a residual whose output is wider than its input (width 0.5 then 1.0 inside a stage) runs
        var wider = mobile.Parse("k3e3@1-k3e3@1-k3e3@1-k3e3@1-k3e3@0.5-k3e3@1");
        using var w = new StandaloneNetwork(mobile, wider);
        Assert.Equal(new long[] { 1, 10 }, w.Forward(Tensor.Randn([1, 1, 28, 28])).Shape);
    }

    /// <summary>One epoch on 10,000 images (157 steps, default cosine recipe): measured 74.6%; the bar is 6x chance.</summary>
    [Fact]
    public void RetrainingAFoundCellLearnsFashionMnist()
    {
        TorchRuntime.ManualSeed(0);
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        using var all = FashionMnist.Load(DataSplit.Train);
        using var train = all.Subset(10_000, seed: 0);
        using var test = FashionMnist.Load(DataSplit.Test);
        using var net = new StandaloneNetwork(space, space.Parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"));
        var result = new ClassifierTrainer(new ClassifierTrainerOptions { Epochs = 1 }).Fit(net, train, test);
        Assert.True(result.TestAccuracy > 0.60, $"test accuracy {result.TestAccuracy:P1}");
    }
}
