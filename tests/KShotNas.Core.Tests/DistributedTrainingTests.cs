using KShotNas.Tests.Shared;
using KShotNas.Data;
using KShotNas.Distributed;
using KShotNas.Evaluation;
using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Distributed;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

/// <summary>
/// Data-parallel training and distributed scoring with two ranks on loopback (one thread and one process group
/// each, through the same TCP/Gloo path as two processes). A 2-rank run must equal one process computing the same
/// global batch in the same two shards (<see cref="DataParallel.Emulated"/>): batch norms use each shard's
/// statistics, as in PyTorch DDP. Tolerance 1e-5 absolute on every weight: only the summation order of a few
/// reductions differs (the gradient sum of two shards itself is order-free).
/// </summary>
public sealed class DistributedTrainingTests : IDisposable
{
    private const float Tolerance = 1e-5f;
    private static readonly Nb201Space Tiny = TestData.Tiny;
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-dist-").FullName;

    public DistributedTrainingTests() => TorchRuntime.Threads = 1;

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly object InitLock = new();

    /// <summary>
    /// The same initial weights every time. The two ranks of <see cref="TwoRanks"/> are threads of one process sharing
    /// libtorch's global generator, so initializations are serialized: a rank reseeding mid-way through the other's
    /// initialization would otherwise change rank 0's weights (which it then broadcasts) at random.
    /// </summary>
    private static Nb201Supernet Net(int k = 1)
    {
        lock (InitLock)
        {
            TorchRuntime.ManualSeed(3);
            var net = new Nb201Supernet(Tiny, k);
            if (k > 1) net.Simplex = new SimplexNet(net.Space, k);
            return net;
        }
    }

    private static float[][] Weights(Supernet net) =>
        net.Parameters().Concat(net.Simplex?.Parameters() ?? []).Select(p => p.ToArray<float>()).ToArray();

    private static float MaxDifference(float[][] a, float[][] b) =>
        a.Zip(b).Max(p => p.First.Zip(p.Second).Select(x => Math.Abs(x.First - x.Second)).DefaultIfEmpty(0).Max());


    /// <summary>Runs <paramref name="body"/> as ranks 0 and 1 on two threads; rethrows a rank's failure.</summary>
    internal static T[] TwoRanks<T>(Func<ProcessGroup, T> body, double timeoutSeconds = 30)
    {
        var port = LaunchSettings.FreeLoopbackPort();
        var tasks = Enumerable.Range(0, 2).Select(r => Task.Factory.StartNew(() =>
        {
            using var group = ProcessGroup.Create("127.0.0.1", port, r, 2, TimeSpan.FromSeconds(timeoutSeconds));
            return body(group);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);
        return tasks.Select(t => t.Result).ToArray();
    }

    public static TheoryData<string> Methods => new() { "Spos", "FairNas", "KShot", "SposMs", "SandwichCalr" };

    private static (SupernetTrainerOptions Options, int K) Setup(string method, string? checkpoint = null, long? stop = null)
    {
        var o = new SupernetTrainerOptions { Epochs = 1, BatchSize = 32, Seed = 7, ReportEvery = 1000, CheckpointPath = checkpoint, StopAtStep = stop };
        var k = 1;
        switch (method)
        {
            case "FairNas": o.Sampling = PathSampling.FairNas; break;
            case "KShot": k = 2; o.KShot = new KShotOptions { WarmupEpochs = 0, SimplexPaths = 4 }; break; // simplex steps from step 1
            case "SposMs": o.MomentumSeparation = true; o.Calr = true; break;
            case "SandwichCalr": o.Sampling = PathSampling.Sandwich; o.Calr = true; break;
        }
        return (o, k);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void TwoRanksEqualOneProcessWithTheSameGlobalBatch(string method)
    {
        var (options, k) = Setup(method);
        float[][] reference;
        using (var data = TestData.Synthetic(256, 3))
        using (var net = Net(k))
        {
            new SupernetTrainer(options) { Parallel = DataParallel.Emulated(2) }.Fit(net, data);
            reference = Weights(net);
        }
        var datasets = new[] { TestData.Synthetic(256, 3), TestData.Synthetic(256, 3) };
        var nets = new[] { Net(k), Net(k) };
        try
        {
            var results = TwoRanks(g => new SupernetTrainer(options) { Parallel = DataParallel.Across(g) }.Fit(nets[g.Rank], datasets[g.Rank]));
            Assert.All(results, r => Assert.Equal(8, r.Steps));
            var w0 = Weights(nets[0]);
            Assert.Equal(0f, MaxDifference(w0, Weights(nets[1]))); // every rank applies the same update
            Assert.InRange(MaxDifference(w0, reference), 0f, Tolerance);
            using var fresh = Net(k);
            Assert.True(MaxDifference(w0, Weights(fresh)) > 1e-3f, "training moved the weights");
        }
        finally
        {
            foreach (var n in nets) n.Dispose();
            foreach (var d in datasets) d.Dispose();
        }
    }

    [Fact]
    public void FewShotSubSupernetsTrainDataParallelToo()
    {
        static FewShotSupernet FewShot()
        {
            TorchRuntime.ManualSeed(3);
            return new FewShotSupernet(Tiny, 0, () => new Nb201Supernet(Tiny), SupernetNorm.BatchStatistics);
        }
        var options = Setup("Spos").Options;
        float[][] reference;
        using (var data = TestData.Synthetic(128, 3))
        using (var net = FewShot())
        {
            new FewShotTrainer(options) { Parallel = DataParallel.Emulated(2) }.Fit(net, data);
            reference = Weights(net);
        }
        var datasets = new[] { TestData.Synthetic(128, 3), TestData.Synthetic(128, 3) };
        var nets = new[] { FewShot(), FewShot() };
        try
        {
            var results = TwoRanks(g => new FewShotTrainer(options) { Parallel = DataParallel.Across(g) }.Fit(nets[g.Rank], datasets[g.Rank]));
            Assert.All(results, r => Assert.Equal(5, r.Count)); // one run per option of the split edge
            Assert.InRange(MaxDifference(Weights(nets[0]), reference), 0f, Tolerance);
            Assert.Equal(0f, MaxDifference(Weights(nets[0]), Weights(nets[1])));
        }
        finally
        {
            foreach (var n in nets) n.Dispose();
            foreach (var d in datasets) d.Dispose();
        }
    }

    [Fact]
    public void RankZeroCheckpointsAndBothRanksResumeExactly()
    {
        var path = Path.Combine(_dir, "dp.safetensors");
        float[][] uninterrupted;
        using (var data = TestData.Synthetic(256, 3))
        using (var net = Net())
        {
            new SupernetTrainer(Setup("SposMs").Options) { Parallel = DataParallel.Emulated(2) }.Fit(net, data);
            uninterrupted = Weights(net);
        }
        var datasets = new[] { TestData.Synthetic(256, 3), TestData.Synthetic(256, 3) };
        try
        {
            // Interrupted after 3 steps (rank 0 writes), then both ranks resume from rank 0's file with fresh weights.
            TwoRanks(g =>
            {
                using var net = Net();
                return new SupernetTrainer(Setup("SposMs", path, stop: 3).Options) { Parallel = DataParallel.Across(g) }.Fit(net, datasets[g.Rank]).Steps;
            });
            Assert.True(File.Exists(path));
            var resumed = TwoRanks(g =>
            {
                using var net = Net();
                new SupernetTrainer(Setup("SposMs", path).Options) { Parallel = DataParallel.Across(g) }.Fit(net, datasets[g.Rank], resumeFrom: path);
                return Weights(net);
            });
            Assert.InRange(MaxDifference(resumed[0], uninterrupted), 0f, Tolerance);
            Assert.Equal(0f, MaxDifference(resumed[0], resumed[1]));
        }
        finally
        {
            foreach (var d in datasets) d.Dispose();
        }
    }

    [Fact]
    public void RanksWithDifferentSettingsFailAtStartUpNamingThem()
    {
        var datasets = new[] { TestData.Synthetic(256, 3), TestData.Synthetic(192, 3) };
        try
        {
            var error = Assert.Throws<AggregateException>(() => TwoRanks(g =>
            {
                using var net = Net();
                var o = Setup("Spos").Options;
                if (g.Rank == 1) o.Seed = 8;
                return new SupernetTrainer(o) { Parallel = DataParallel.Across(g) }.Fit(net, datasets[g.Rank]).Steps;
            }));
            Assert.All(error.InnerExceptions, e =>
            {
                Assert.IsType<ArgumentException>(e);
                Assert.Contains("rank 1 differs from rank 0 in seed, data size, training options", e.Message);
            });
        }
        finally
        {
            foreach (var d in datasets) d.Dispose();
        }
    }

    [Fact]
    public void GlobalBatchMustSplitIntoEqualShards()
    {
        using var data = TestData.Synthetic(64, 3);
        using var net = Net();
        var o = Setup("Spos").Options;
        o.BatchSize = 31;
        var e = Assert.Throws<ArgumentException>(() => new SupernetTrainer(o) { Parallel = DataParallel.Emulated(2) }.Fit(net, data));
        Assert.Contains("global batch size 31 does not split into 2 equal shards", e.Message);
    }

    [Fact]
    public void DistributedScoringEqualsSingleProcessScoring()
    {
        var before = NativeTensors.Settled();
        var rng = new CheckpointableRandom(1);
        var archs = Enumerable.Range(0, 7).Select(_ => Tiny.Sample(rng)).ToArray(); // odd: the slices are padded
        var evaluator = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = 64 });
        double[] single;
        using (var data = TestData.Synthetic(128, 4))
        using (var net = Net())
            single = evaluator.Score(net, archs, data);
        var datasets = new[] { TestData.Synthetic(128, 4), TestData.Synthetic(128, 4) };
        var nets = new[] { Net(), Net() };
        try
        {
            var scores = TwoRanks(g => DistributedScoring.Score(evaluator, g, nets[g.Rank], archs, datasets[g.Rank]));
            Assert.Equal(single, scores[0]);
            Assert.Equal(single, scores[1]);
            Assert.True(single.Distinct().Count() > 1, "the architectures score differently");
        }
        finally
        {
            foreach (var n in nets) n.Dispose();
            foreach (var d in datasets) d.Dispose();
        }
        Assert.Equal(before, TorchRuntime.LiveNativeTensors);
    }
}
