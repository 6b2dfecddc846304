using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

/// <summary>The merged-weight step rule (issue 20) and copies started from one network.</summary>
public sealed class KShotStepRuleTests
{
    private static readonly Nb201Space Tiny = TestData.Tiny;
    private static readonly string Cell = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|";

    public KShotStepRuleTests() => TorchRuntime.Threads = 2;

    [Fact]
    public void MergedStepScaleIsOneOverTheSumOfSquaredCodes()
    {
        using var bank = new WeightBank(4);
        Assert.Equal(4, bank.MergedStepScale(), 9); // uniform 1/K: sum of squares 1/K
        using var code = Tensor.FromArray(new[] { 0.5f, 0.5f, 0f, 0f });
        bank.Mixing = code;
        Assert.Equal(2, bank.MergedStepScale(), 5);
        using var one = new WeightBank(1);
        Assert.Equal(1, one.MergedStepScale());
    }

    /// <summary>
    /// One plain SGD step at lr on the K copies, with the path's loss scaled by 1 / sum lambda^2, moves the merged weights
    /// exactly as the same step moves one supernet that holds those merged weights, at any code; without the scale the
    /// merged weights move sum lambda^2 times as far (the seeds' rule).
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(new[] { 0.7f, 0.2f, 0.1f })]
    [InlineData(new[] { 0f, 1f, 0f })]
    public void OneShotRuleMovesMergedWeightsAsOneSupernetAtAnyCode(float[]? code)
    {
        const double lr = 0.3;
        var sumOfSquares = code?.Sum(l => (double)l * l) ?? 1.0 / 3;
        var oneShotMove = StepMoves(code, scaled: false, k: 1);
        var scaledMove = StepMoves(code, scaled: true, k: 3);
        var perCopyMove = StepMoves(code, scaled: false, k: 3);
        Assert.True(oneShotMove.Max(Math.Abs) > 1e-4, "the step must move the weights");
        for (var i = 0; i < oneShotMove.Length; i++)
        {
            Assert.Equal(oneShotMove[i], scaledMove[i], tolerance: 1e-6);
            Assert.Equal(oneShotMove[i] * sumOfSquares, perCopyMove[i], tolerance: 1e-6);
        }

        // The merged weights of a K = 3 supernet at `code`, one step, as a flat array of their change.
        double[] StepMoves(float[]? mix, bool scaled, int k)
        {
            TorchRuntime.ManualSeed(21);
            using var three = new Nb201Supernet(Tiny, 3);
            using var single = k == 1 ? new Nb201Supernet(Tiny, 1) : null;
            var net = single ?? three;
            using var scope = TensorScope.Begin();
            using var codeTensor = mix is null ? null : Tensor.FromArray(mix);
            three.Weights.Mixing = codeTensor;
            if (k == 1)
                using (NoGradScope.Begin())
                    for (var slot = 0; slot < three.Weights.Count; slot++) net.Weights.Copy(slot, 0).CopyFrom(three.Weights.Resolve(slot));
            double[] Merged() { using var _ = NoGradScope.Begin(); return Enumerable.Range(0, net.Weights.Count).SelectMany(s => net.Weights.Resolve(s).ToArray<float>().Select(v => (double)v)).ToArray(); }
            var before = Merged();
            TorchRuntime.ManualSeed(5);
            var x = Tensor.Randn([8, 1, 8, 8]);
            var y = Tensor.FromArray(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 });
            using var sgd = new Sgd(net.Weights.Parameters(), new SgdOptions { LearningRate = lr });
            sgd.ZeroGrad();
            var loss = Functional.CrossEntropy(net.Forward(x, Tiny.Parse(Cell)), y);
            if (scaled) loss = loss.Mul(net.Weights.MergedStepScale());
            loss.Backward();
            sgd.Step();
            var after = Merged();
            three.Weights.Mixing = null;
            return after.Zip(before, (a, b) => a - b).ToArray();
        }
    }

    /// <summary>
    /// Copies started from one supernet with no noise, trained with the one-shot rule during warm-up (uniform codes), stay
    /// equal to that supernet trained alone: K-shot then is one-shot training, momentum, weight decay and MS included.
    /// </summary>
    [Fact]
    public void WarmUpFromOneNetworkWithTheOneShotRuleIsTheOneShotRun()
    {
        using var data = TestData.Synthetic(256, 1);
        SupernetTrainerOptions Options() => new()
        {
            Epochs = 2, BatchSize = 32, Seed = 5, Calr = true, MomentumSeparation = true, GradientClipNorm = null,
            KShot = new KShotOptions { WarmupEpochs = 2, StepRule = KShotStepRule.OneShot },
        };
        TorchRuntime.ManualSeed(3);
        using var one = new Nb201Supernet(Tiny, 1);
        using var three = new Nb201Supernet(Tiny, 3) { Simplex = new SimplexNet(Tiny, 3) };
        three.Weights.StartCopiesFrom(one.Weights, relativeNoise: 0);
        var oneLosses = new SupernetTrainer(Options()).Fit(one, data).StepLosses;
        var threeLosses = new SupernetTrainer(Options()).Fit(three, data).StepLosses;
        Assert.Equal(16, oneLosses.Count);
        for (var i = 0; i < oneLosses.Count; i++) Assert.Equal(oneLosses[i], threeLosses[i], tolerance: 1e-4);
        using var scope = TensorScope.Begin();
        using var noGrad = NoGradScope.Begin();
        for (var slot = 0; slot < one.Weights.Count; slot++)
            Assert.True(one.Weights.Resolve(slot).AllClose(three.Weights.Resolve(slot), 1e-4, 1e-5), $"slot {one.Weights.Names[slot]}");
    }

    [Fact]
    public void CopiesStartFromTheSourcePlusNoiseOfTheGivenScale()
    {
        TorchRuntime.ManualSeed(8);
        using var one = new Nb201Supernet(Tiny, 1);
        using var four = new Nb201Supernet(Tiny, 4);
        four.Weights.StartCopiesFrom(one.Weights, relativeNoise: 0.1);
        using var scope = TensorScope.Begin();
        var slot = one.Weights.Names.Select((n, i) => (n, i)).First(p => one.Weights.Parameter(p.i).NumEl >= 64).i;
        var source = one.Weights.Parameter(slot);
        var std = source.Std().ToDouble();
        for (var k = 0; k < 4; k++)
        {
            var noise = (four.Weights.Copy(slot, k) - source).Std().ToDouble();
            Assert.InRange(noise / std, 0.05, 0.2); // 0.1 of the source's std, estimated from >= 64 draws
        }
        Assert.False(four.Weights.Copy(slot, 0).AllClose(four.Weights.Copy(slot, 1), 1e-6, 1e-7), "each copy draws its own noise");
        using var two = new Nb201Supernet(Tiny, 2);
        Assert.Throws<ArgumentException>(() => four.Weights.StartCopiesFrom(two.Weights, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => four.Weights.StartCopiesFrom(one.Weights, -1));
    }
}
