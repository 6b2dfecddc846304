using KShotNas.Data;
using KShotNas.Evaluation;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Optim;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

public class SupernetStructureTests
{
    public SupernetStructureTests() => TorchRuntime.Threads = 2;

    /// <summary>
    /// The conv and linear weights that receive a gradient for a path are exactly the path's complexity score, as
    /// the space's analytic profiler computes it for the stand-alone network: the supernet's skeleton is the space's.
    /// </summary>
    private static void UsedWeightsMatchComplexity(Supernet net, Architecture a, long[] inputShape)
    {
        using var scope = TensorScope.Begin();
        foreach (var p in net.Parameters()) p.RequiresGrad = true;
        Gradients.ZeroGrad(new ParameterList(net.Parameters()));
        var y = net.Forward(Tensor.Randn(inputShape), a);
        y.Sum().Backward();
        long used = 0;
        foreach (var (name, p) in net.NamedParameters())
        {
            using var g = p.Grad;
            if (g is not null && !name.Contains("/bias")) used += p.NumEl;
        }
        Assert.Equal(net.Space.Profile(a).Complexity, used);
    }

    [Fact]
    public void Nb201PathsUseExactlyTheirProfiledWeights()
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        using var net = new Nb201Supernet(space);
        var rng = new CheckpointableRandom(2);
        for (var i = 0; i < 4; i++) UsedWeightsMatchComplexity(net, space.Sample(rng), [2, 1, 28, 28]);
    }

    [Fact]
    public void NasBenchMacroPathsUseExactlyTheirProfiledWeights()
    {
        var space = new NasBenchMacroSpace();
        using var net = new MacroSupernet(space);
        foreach (var code in new[] { "00000000", "22212220", "12010201" })
            UsedWeightsMatchComplexity(net, space.Parse(code), [2, 3, 32, 32]);
    }

    [Fact]
    public void MobileNetV2PathsAtFullWidthUseExactlyTheirProfiledWeights()
    {
        var space = new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall with { WidthFractions = [1.0] });
        using var net = new MacroSupernet(space);
        var rng = new CheckpointableRandom(5);
        for (var i = 0; i < 4; i++) UsedWeightsMatchComplexity(net, space.Sample(rng), [2, 1, 28, 28]);
    }

    [Fact]
    public void WidthSearchSlicesChannelsAndTrainsWithSandwichAndRecalibration()
    {
        TorchRuntime.ManualSeed(3);
        var space = new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall);
        using var net = new MacroSupernet(space, norm: SupernetNorm.Recalibrated);
        using var scope = TensorScope.Begin();
        using var data = new ImageDataset(Tensor.Randn([128, 1, 28, 28]), Tensor.RandInt(0, 10, [128]), 10);
        var rng = new CheckpointableRandom(1);
        var archs = Enumerable.Range(0, 6).Select(_ => space.Sample(rng)).ToList();
        foreach (var a in archs) Assert.Equal(new long[] { 3, 10 }, net.Forward(Tensor.Randn([3, 1, 28, 28]), a).Shape);
        var result = new SupernetTrainer(new SupernetTrainerOptions { Sampling = PathSampling.Sandwich, BatchSize = 32, Seed = 4 }).Fit(net, data);
        Assert.Equal(4, result.Steps);
        Assert.All(result.StepLosses, l => Assert.True(double.IsFinite(l)));
        var scores = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = 64, RecalibrationBatches = 2, RecalibrationBatchSize = 32 })
            .Score(net, archs, data, data);
        Assert.All(scores, s => Assert.InRange(s, 0, 1));
    }

    [Fact]
    public void FewShotSplitsOnAnEdgeAndTransfersWeights()
    {
        TorchRuntime.ManualSeed(1);
        var space = new Nb201Space(new Nb201Options(4, 1, 1, 8, 10));
        using var oneShot = new Nb201Supernet(space);
        using var few = (FewShotSupernet)SupernetFile.Create(space, fewShotSplit: 0);
        Assert.Equal(5, few.SubSupernets.Count);
        using var scope = TensorScope.Begin();
        using var data = new ImageDataset(Tensor.Randn([64, 1, 8, 8]), Tensor.RandInt(0, 10, [64]), 10);
        var results = new FewShotTrainer(new SupernetTrainerOptions { BatchSize = 32 }).Fit(few, data, transferFrom: oneShot);
        Assert.Equal(5, results.Count);
        Assert.All(results, r => Assert.Equal(2, r.Steps));
        // a sub-supernet trained only paths with its own op on edge 0; weight transfer made them start equal
        var a = space.Parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_1x1~2|");
        Assert.Same(few.SubSupernets[3], few.For(a));
        var stem0 = few.SubSupernets[0].Parameters()[0].ToArray<float>();
        var stem3 = few.SubSupernets[3].Parameters()[0].ToArray<float>();
        Assert.NotEqual(stem0, stem3);
        var untouchedConv3x3InSub0 = few.SubSupernets[0].NamedParameters().Single(p => p.Name == "weights.stage0/cell0/edge0/conv3x3").Parameter;
        var original = oneShot.NamedParameters().Single(p => p.Name == "weights.stage0/cell0/edge0/conv3x3").Parameter;
        Assert.Equal(original.ToArray<float>(), untouchedConv3x3InSub0.ToArray<float>()); // sub 0 fixes edge 0 to 'none'
        Assert.Equal(new long[] { 2, 10 }, few.Forward(Tensor.Randn([2, 1, 8, 8]), a).Shape);

        // a "resumed" run with no sub-supernet checkpoint yet must still start from the one-shot weights
        using var fresh = (FewShotSupernet)SupernetFile.Create(space, fewShotSplit: 0);
        new FewShotTrainer(new SupernetTrainerOptions { BatchSize = 32 }).Fit(fresh, data, transferFrom: oneShot, resume: true);
        var freshConv = fresh.SubSupernets[0].NamedParameters().Single(p => p.Name == "weights.stage0/cell0/edge0/conv3x3").Parameter;
        Assert.Equal(original.ToArray<float>(), freshConv.ToArray<float>());
    }

    [Fact]
    public void SupernetFilesRebuildTheirSupernet()
    {
        var dir = Directory.CreateTempSubdirectory("kshotnas-sf-").FullName;
        try
        {
            var path = Path.Combine(dir, "macro.safetensors");
            TorchRuntime.ManualSeed(8);
            using var net = new MacroSupernet(new NasBenchMacroSpace());
            SupernetFile.Save(path, net);
            using var loaded = SupernetFile.Load(path);
            Assert.IsType<MacroSupernet>(loaded);
            Assert.Equal(net.Parameters()[5].ToArray<float>(), loaded.Parameters()[5].ToArray<float>());
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..1000]);
            Assert.ThrowsAny<IOException>(() => SupernetFile.Load(path));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
