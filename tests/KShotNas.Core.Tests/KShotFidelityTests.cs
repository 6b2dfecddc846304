using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

/// <summary>
/// K-shot items fixed against the seeds (docs/study/kshot-fidelity.md): warm-up share, images per path in a simplex-net
/// update, exact resume inside an update; and the code-spread statistics and collapse detection.
/// </summary>
public sealed class KShotFidelityTests : IDisposable
{
    private static readonly Nb201Space Tiny = TestData.Tiny;
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-ksf-").FullName;

    public KShotFidelityTests() => TorchRuntime.Threads = 2;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Nb201Supernet KShotSupernet(int k, ulong seed)
    {
        TorchRuntime.ManualSeed(seed);
        var net = new Nb201Supernet(Tiny, k);
        net.Simplex = new SimplexNet(net.Space, k);
        return net;
    }

    private static float[] SimplexWeights(Supernet net) => net.Simplex!.Parameters().SelectMany(p => p.Detach().Flatten().ToArray<float>()).ToArray();

    /// <summary>Sets every simplex-net weight to 0 and the output bias to <paramref name="bias"/>: the same code for every path.</summary>
    private static void FixCode(SimplexNet simplex, float[] bias)
    {
        using var noGrad = NoGradScope.Begin();
        using var scope = TensorScope.Begin();
        foreach (var (name, p) in simplex.NamedParameters())
            p.CopyFrom(name == "out.bias" ? Tensor.FromArray(bias) : Tensor.Zeros(p.Shape));
    }

    [Fact]
    public void WarmupDefaultsToTheSeedsShareOfTraining()
    {
        var o = new KShotOptions();
        Assert.Null(o.WarmupEpochs);
        Assert.Equal(500, o.WarmupSteps(120, 100));  // the seeds: 5 of 120 epochs
        Assert.Equal(195, o.WarmupSteps(10, 468));   // the study's 10 epochs of 468 steps: 0.42 epochs, not 1
        o.WarmupEpochs = 1;
        Assert.Equal(468, o.WarmupSteps(10, 468));
        o.WarmupEpochs = 0.5;
        Assert.Equal(234, o.WarmupSteps(10, 468));
    }

    /// <summary>
    /// Seeds: batch 1024 split into m = 16 groups, 64 images per path. At batch 64 a path gets a whole batch, so one
    /// simplex-net update spans m batches: the simplex-net must not move until the m-th of them.
    /// </summary>
    [Fact]
    public void SimplexUpdatesGiveEachPathTheSeedsGroupOfImages()
    {
        var defaults = new KShotOptions();
        Assert.Equal(16, defaults.SimplexPaths);
        Assert.Equal(64, defaults.SimplexGroupSize);
        Assert.Equal(64, defaults.GroupSizeFor(1024));                      // 64 at any batch >= 64
        Assert.Equal(32, defaults.GroupSizeFor(32));                        // capped at the batch
        using var data = TestData.Synthetic(512, 21);                      // 8 steps of 64 per epoch
        float[] WeightsAfter(long stop, int? group)
        {
            using var net = KShotSupernet(2, 4);
            var kshot = new KShotOptions { WarmupEpochs = 0.5, SimplexPaths = 4 }; // warm-up: steps 0-3
            if (group is { } g) kshot.SimplexGroupSize = g;
            new SupernetTrainer(new SupernetTrainerOptions { Epochs = 2, BatchSize = 64, Seed = 1, StopAtStep = stop, KShot = kshot }).Fit(net, data);
            return SimplexWeights(net);
        }
        float[] initial;
        using (var net = KShotSupernet(2, 4)) initial = SimplexWeights(net);
        // 64 images per path, m = 4: steps 4-7 supernet, 8-11 one path each for the simplex-net, updated after step 11
        Assert.Equal(initial, WeightsAfter(11, null));
        Assert.NotEqual(initial, WeightsAfter(12, null));
        // the old split (batch / m = 16 images per path): every second step updates the simplex-net
        Assert.NotEqual(initial, WeightsAfter(6, 16));
        Assert.Throws<ArgumentException>(() => WeightsAfter(12, 24)); // 24 does not divide the batch of 64
    }

    [Fact]
    public void ResumeInsideASimplexUpdateIsExact()
    {
        using var data = TestData.Synthetic(256, 7);
        SupernetTrainerOptions Options(string? ckpt = null, long? stop = null) => new()
        {
            Epochs = 3, BatchSize = 32, Seed = 3, CheckpointPath = ckpt, StopAtStep = stop,
            KShot = new KShotOptions { WarmupEpochs = 1, SimplexPaths = 4 }, // group 32: steps 12-15 are one update
        };
        double[] full;
        float[] fullSimplex;
        using (var net = KShotSupernet(2, 1))
        {
            full = new SupernetTrainer(Options()).Fit(net, data).StepLosses.ToArray();
            fullSimplex = SimplexWeights(net);
        }
        var ckpt = Path.Combine(_dir, "k.safetensors");
        var first = new List<double>();
        using (var net = KShotSupernet(2, 1)) first.AddRange(new SupernetTrainer(Options(ckpt, 14)).Fit(net, data).StepLosses);
        using var resumed = KShotSupernet(2, 50);
        var rest = new SupernetTrainer(Options(ckpt)).Fit(resumed, data, resumeFrom: ckpt).StepLosses;
        Assert.Equal(full, first.Concat(rest).ToArray());
        Assert.Equal(fullSimplex, SimplexWeights(resumed));
    }

    [Fact]
    public void CodeSpreadStatisticsHaveTheirDefinedValues()
    {
        Architecture A(params int[] c) => new(c);
        var archs = new[] { A(0, 0, 0, 0, 0, 0), A(1, 0, 0, 0, 0, 0), A(1, 1, 0, 0, 0, 0) }; // edit distances 1, 1, 2
        var line = new CodeReport(Tiny, archs, [[1f, 0f], [0.75f, 0.25f], [0.5f, 0.5f]]);
        Assert.Equal(0.75, line.Mean(0), 6);
        Assert.Equal(Math.Sqrt(0.125 / 3), line.Std(0), 6);
        Assert.Equal(Math.Sqrt(0.125 / 3), line.MaxStd, 6);
        Assert.Equal(2.0 / 3, line.MeanPairwiseDistance, 6);          // L1: 0.5, 0.5, 1.0
        Assert.Equal(1 / 0.625, line.UsedK, 5);                       // mean code (0.75, 0.25)
        Assert.Equal(1.0, line.EditDistanceCorrelation, 6);           // code distance grows with edit distance
        var byEdit = line.CodeDistanceByEditDistance();
        Assert.Equal(0.5, byEdit[1], 6);
        Assert.Equal(1.0, byEdit[2], 6);
        Assert.True(double.IsNaN(byEdit[3]));
        Assert.Equal(CodeCollapse.None, line.Collapse);
        var shuffled = new CodeReport(Tiny, archs, [[0.75f, 0.25f], [1f, 0f], [0.5f, 0.5f]]);
        Assert.Equal(-0.5, shuffled.EditDistanceCorrelation, 6);      // worked by hand
        var vertices = new CodeReport(Tiny, archs, [[1f, 0f, 0f], [0f, 1f, 0f], [0f, 0f, 1f]]);
        Assert.Equal(3, vertices.UsedK, 5);
        Assert.Equal(2, vertices.MeanPairwiseDistance, 6);
        Assert.Equal(CodeCollapse.None, vertices.Collapse);
        Assert.Null(vertices.CollapseWarning);
    }

    [Fact]
    public void CollapsedSimplexNetsAreDetected()
    {
        var rng = new CheckpointableRandom(5);
        var paths = Enumerable.Range(0, 200).Select(_ => Tiny.Sample(rng)).ToList();
        TorchRuntime.ManualSeed(2);
        using var simplex = new SimplexNet(Tiny, 3);
        FixCode(simplex, [0f, 0f, 0f]);                               // the uniform code for every path
        var uniform = new CodeReport(simplex, paths);
        Assert.Equal(CodeCollapse.OneCode, uniform.Collapse);
        Assert.Equal(0, uniform.Spread, 6);
        Assert.Equal(0, uniform.MeanPairwiseDistance, 6);
        Assert.Equal(3, uniform.UsedK, 4);
        Assert.True(double.IsNaN(uniform.EditDistanceCorrelation));
        Assert.Contains("one code for all paths", uniform.CollapseWarning);
        Assert.Contains("WARNING", uniform.Summary());
        FixCode(simplex, [3f, 0f, 0f]);                               // softmax(10, 0, 0): supernet 1 for every path
        var vertex = new CodeReport(simplex, paths);
        Assert.Equal(CodeCollapse.OneVertex, vertex.Collapse);
        Assert.InRange(vertex.UsedK, 1, 1.01);
        Assert.Contains("one supernet", vertex.CollapseWarning);
        // almost one code, just over the threshold of spread: not a collapse
        var spread = new CodeReport(Tiny, paths, paths.Select((_, i) => i % 2 == 0 ? new[] { 0.45f, 0.45f, 0.1f } : [0.35f, 0.35f, 0.3f]).ToArray());
        Assert.Equal(CodeCollapse.None, spread.Collapse);
    }

    [Fact]
    public void TrainingReportsACollapsedSimplexNet()
    {
        using var data = TestData.Synthetic(256, 9);
        (SupernetTrainingResult Result, List<SupernetProgress> Reports) Train(bool check)
        {
            using var net = KShotSupernet(2, 6);
            FixCode(net.Simplex!, [3f, 0f]);                          // one vertex; lr 0 keeps it there
            var reports = new List<SupernetProgress>();
            var result = new SupernetTrainer(new SupernetTrainerOptions
            {
                Epochs = 2, BatchSize = 32, Seed = 2,
                KShot = new KShotOptions { WarmupEpochs = 1, SimplexPaths = 4, SimplexLearningRate = 0, CheckCollapse = check },
            }).Fit(net, data, new SyncProgress<SupernetProgress>(reports.Add));
            return (result, reports);
        }
        var (checkedRun, reports) = Train(true);
        var warning = Assert.Single(checkedRun.Warnings!);              // at the end of epoch 2 (= the end), reported once
        Assert.StartsWith("step 16:", warning);
        Assert.Contains("one supernet", warning);
        Assert.Contains(reports, r => r.Warning == warning);
        Assert.Empty(Train(false).Result.Warnings!);
    }
}
