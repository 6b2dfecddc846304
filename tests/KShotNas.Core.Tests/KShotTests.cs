using KShotNas.Data;
using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

public sealed class KShotTests : IDisposable
{
    private static readonly Nb201Space Tiny = TestData.Tiny;
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-ks-").FullName;

    public KShotTests() => TorchRuntime.Threads = 2;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Nb201Supernet KShotSupernet(int k, ulong seed, Nb201Space? space = null)
    {
        TorchRuntime.ManualSeed(seed);
        var net = new Nb201Supernet(space ?? Tiny, k);
        if (k > 1) net.Simplex = new SimplexNet(net.Space, k);
        return net;
    }

    [Fact]
    public void EffectiveCountIsKForUniformAndOneForOneHotCodes()
    {
        Assert.Equal(8, CodeReport.EffectiveCount([.125f, .125f, .125f, .125f, .125f, .125f, .125f, .125f]), 6);
        Assert.Equal(1, CodeReport.EffectiveCount([0f, 1f, 0f, 0f]), 6);
        Assert.Equal(2, CodeReport.EffectiveCount([.5f, 0f, .5f]), 6);
    }

    [Fact]
    public void KEqualsOneIsExactlyTheOneShotRun()
    {
        using var data = TestData.Synthetic(256, 1);
        var plain = new SupernetTrainerOptions { Epochs = 2, BatchSize = 32, Seed = 5, Calr = true, MomentumSeparation = true };
        var kshot = new SupernetTrainerOptions
        {
            Epochs = 2, BatchSize = 32, Seed = 5, Calr = true, MomentumSeparation = true,
            KShot = new KShotOptions { WarmupEpochs = 0, SimplexPaths = 4 }, // would alternate from step 0 if K-shot were on
        };
        using var a = KShotSupernet(1, 3);
        using var b = KShotSupernet(1, 3);
        var lossesA = new SupernetTrainer(plain).Fit(a, data).StepLosses;
        var lossesB = new SupernetTrainer(kshot).Fit(b, data).StepLosses;
        Assert.Equal(16, lossesA.Count);
        Assert.Equal(lossesA, lossesB);
    }

    [Fact]
    public void MergedWeightsMixTheCopiesByTheCode()
    {
        using var one = KShotSupernet(1, 4);
        using var three = KShotSupernet(3, 5);
        using var scope = TensorScope.Begin();
        // copy 1 of the K=3 bank := the K=1 weights; code (0, 1, 0) must then give the K=1 outputs
        var names = one.Weights.Names;
        using (NoGradScope.Begin())
            for (var slot = 0; slot < names.Count; slot++) three.Weights.Copy(slot, 1).CopyFrom(one.Weights.Copy(slot, 0));
        var x = Tensor.Randn([6, 1, 8, 8]);
        var cell = Tiny.Parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|");
        three.Weights.Mixing = Tensor.FromArray(new[] { 0f, 1f, 0f });
        Assert.True(one.Forward(x, cell).AllClose(three.Forward(x, cell), 1e-5, 1e-6));
        // uniform mixing (no code) is the mean of the copies
        three.Weights.Mixing = null;
        var meanStem = (three.Weights.Copy(0, 0) + three.Weights.Copy(0, 1) + three.Weights.Copy(0, 2)) / 3;
        Assert.True(three.Weights.Resolve(0).AllClose(meanStem, 1e-6, 1e-7));
        Assert.Throws<ArgumentException>(() => three.Weights.Mixing = Tensor.FromArray(new[] { 0.5f, 0.5f }));
    }

    /// <summary>Finite differences (float64, central) against backward for the code lambda and for entries of every copy.</summary>
    [Fact]
    public void MergedWeightGradientsMatchFiniteDifferences()
    {
        using var net = KShotSupernet(3, 6);
        net.To(DType.Float64);
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(8);
        var x = Tensor.Randn([8, 1, 8, 8], DType.Float64);
        var y = Tensor.RandInt(0, 10, [8]);
        var cell = Tiny.Parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|");
        var lambda = Tensor.FromArray(new[] { 0.2, 0.5, 0.3 }).WithRequiresGrad();
        double Loss()
        {
            using var s = TensorScope.Begin();
            net.Weights.Mixing = lambda;
            return Functional.CrossEntropy(net.Forward(x, cell), y).ToDouble();
        }
        net.Weights.Mixing = lambda;
        Functional.CrossEntropy(net.Forward(x, cell), y).Backward();

        var analyticLambda = lambda.Grad!.ToArray<double>();
        for (var k = 0; k < 3; k++)
        {
            var numeric = Central(lambda, k, 1e-6, Loss);
            Assert.True(Math.Abs(numeric - analyticLambda[k]) <= 1e-6 + 1e-4 * Math.Abs(numeric), $"d/dlambda_{k}: numeric {numeric}, backward {analyticLambda[k]}");
        }
        // a conv slot of the path, every copy, a few entries each
        var slot = net.Weights.Names.ToList().IndexOf("stage0/cell0/edge0/conv3x3");
        for (var k = 0; k < 3; k++)
        {
            var w = net.Weights.Copy(slot, k);
            var g = net.Weights.Parameter(slot).Grad!.Narrow(0, k, 1).Flatten().ToArray<double>();
            foreach (var i in new[] { 0, g.Length / 2, g.Length - 1 })
            {
                var numeric = Central(w, i, 1e-6, Loss);
                Assert.True(Math.Abs(numeric - g[i]) <= 1e-6 + 1e-4 * Math.Abs(numeric), $"copy {k}[{i}]: numeric {numeric}, backward {g[i]}");
            }
        }
        net.Weights.Mixing = null;
    }

    private static double Central(Tensor t, int index, double eps, Func<double> loss)
    {
        var values = t.Detach().Flatten().ToArray<double>();
        double At(double delta)
        {
            var v = (double[])values.Clone();
            v[index] += delta;
            using (NoGradScope.Begin()) t.CopyFrom(Tensor.FromArray(v, t.Shape));
            return loss();
        }
        var result = (At(eps) - At(-eps)) / (2 * eps);
        using (NoGradScope.Begin()) t.CopyFrom(Tensor.FromArray(values, t.Shape));
        return result;
    }

    /// <summary>Warm-up, then alternating steps on the small Fashion-MNIST skeleton: codes move and differ between paths.</summary>
    [Fact]
    public void CodesDifferBetweenArchitecturesAfterWarmup()
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        var (train, ranking) = NasData.Load(null, 6400, 1);
        ranking.Dispose();
        using (train)
        using (var net = KShotSupernet(4, 9, space))
        {
            var rng = new CheckpointableRandom(12);
            var paths = Enumerable.Range(0, 1000).Select(_ => space.Sample(rng)).ToList();
            var before = new CodeReport(net.Simplex!, paths);
            var result = new SupernetTrainer(new SupernetTrainerOptions
            {
                Epochs = 2, BatchSize = 64, Seed = 2, KShot = new KShotOptions { WarmupEpochs = 1, SimplexPaths = 4, SimplexGroupSize = 16 },
            }).Fit(net, train);
            Assert.Equal(200, result.Steps);
            var after = new CodeReport(net.Simplex!, paths);
            Assert.True(after.Spread > 0.02, $"spread of lambda over 1,000 paths: {after.Spread:F4} ({after.Summary()})");
            Assert.True(before.Codes.Zip(after.Codes).Average(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b)).Sum()) > 1e-3,
                "the simplex-net steps must move the codes");
            Assert.All(after.Codes, c => Assert.Equal(1, c.Sum(), 4));
            Assert.InRange(after.EffectiveK, 1, 4);
            var svg = Path.Combine(_dir, "codes.svg");
            after.WriteSvg(svg, "K = 4");
            after.WriteCsv(Path.Combine(_dir, "codes.csv"));
            Assert.Contains("<svg", File.ReadAllText(svg));
            Assert.Equal(1001, File.ReadLines(Path.Combine(_dir, "codes.csv")).Count());
        }
    }

    [Fact]
    public void WidthRegularizerHasTheDocumentedValueAndPushesCodesApart()
    {
        var space = new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall);
        var reg = WidthRegularizer.For(space)!;
        var narrow = space.Parse("k3e3@0.5-k3e3@0.5-k3e3@0.5-k3e3@0.5-k3e3@0.5-k3e3@0.5");
        var wide = space.Parse("k3e3@1-k3e3@1-k3e3@1-k3e3@1-k3e3@1-k3e3@1");
        Assert.Equal(1.0, reg.Distance(narrow, wide), 12);
        using (var scope = TensorScope.Begin())
            Assert.Equal(-2.0, reg.Term(Tensor.FromArray(new[] { 1f, 0f, 0f, 1f }, 2, 2), [narrow, wide]).ToDouble(), 5);
        Assert.Null(WidthRegularizer.For(Tiny));

        // Effect on codes: descending a * r_c on 16 training paths separates the codes of paths of different widths,
        // measured on 300 other random pairs (width-weighted mean squared code distance).
        var rng = new CheckpointableRandom(77);
        var pairs = Enumerable.Range(0, 300).Select(_ => (space.Sample(rng), space.Sample(rng))).ToList();
        var batch = Enumerable.Range(0, 16).Select(_ => space.Sample(rng)).ToList();
        TorchRuntime.ManualSeed(4);
        using var simplex = new SimplexNet(space, 3);
        double HeldOutDistance() => reg.WeightedCodeDistance(simplex, pairs);
        var before = HeldOutDistance();
        using (var sgd = new KShotNas.Torch.Optim.Sgd(simplex.Parameters(), new() { LearningRate = 0.05, Momentum = 0.9 }))
            for (var step = 0; step < 20; step++)
            {
                using var s = TensorScope.Begin();
                sgd.ZeroGrad();
                reg.Term(simplex.Forward(simplex.Encode(batch)), batch).Backward();
                sgd.Step();
            }
        var after = HeldOutDistance();
        Assert.True(after > 2 * before, $"held-out width-weighted code distance: {before:F4} before, {after:F4} after 20 steps on r_c");
    }

    [Fact]
    public void KShotCheckpointsResumeExactlyAndReloadTheSimplexNet()
    {
        using var data = TestData.Synthetic(256, 7);
        SupernetTrainerOptions Options(string? ckpt = null, long? stop = null) => new()
        {
            Epochs = 2, BatchSize = 32, Seed = 3, CheckpointPath = ckpt, StopAtStep = stop,
            KShot = new KShotOptions { WarmupEpochs = 1, SimplexPaths = 4 },
        };
        double[] full;
        using (var net = KShotSupernet(2, 1)) full = new SupernetTrainer(Options()).Fit(net, data).StepLosses.ToArray();
        var ckpt = Path.Combine(_dir, "k.safetensors");
        var first = new List<double>();
        using (var net = KShotSupernet(2, 1)) first.AddRange(new SupernetTrainer(Options(ckpt, 11)).Fit(net, data).StepLosses);
        using (var net = KShotSupernet(2, 50))
        {
            var rest = new SupernetTrainer(Options(ckpt)).Fit(net, data, resumeFrom: ckpt).StepLosses;
            Assert.Equal(full, first.Concat(rest).ToArray());
        }
        using var loaded = SupernetFile.Load(ckpt);
        Assert.NotNull(loaded.Simplex);
        Assert.Equal(2, loaded.Weights.K);
        var cell = Tiny.Sample(new CheckpointableRandom(1));
        using (loaded.UseCodeOf(cell)) Assert.NotNull(loaded.Weights.Mixing);
        Assert.Null(loaded.Weights.Mixing);
    }
}
