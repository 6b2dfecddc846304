using KShotNas.Tests.Shared;
using KShotNas.Evaluation;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Core.Tests;

/// <summary>
/// Chunked scoring (<see cref="ChunkedBatchStatistics"/>, the evaluator's default) keeps batch statistics over the whole
/// evaluation batch: logits equal the one-batch forward's to float rounding and accuracies equal today's one-batch scores.
/// </summary>
public class ChunkedScoringTests
{
    public ChunkedScoringTests() => TorchRuntime.Threads = 1;

    private static (Nb201Supernet Net, List<Architecture> Archs) Trained(int k = 1, SupernetNorm norm = SupernetNorm.BatchStatistics)
    {
        TorchRuntime.ManualSeed(3);
        var net = new Nb201Supernet(TestData.Tiny, k, norm);
        if (k > 1) net.Simplex = new KShot.SimplexNet(net.Space, k);
        using var data = TestData.Synthetic(256, 5);
        new SupernetTrainer(new SupernetTrainerOptions { BatchSize = 32, Seed = 4, KShot = new KShot.KShotOptions { SimplexPaths = 2, SimplexGroupSize = 16 } }).Fit(net, data);
        var rng = new CheckpointableRandom(6);
        return (net, Enumerable.Range(0, 12).Select(_ => TestData.Tiny.Sample(rng)).ToList());
    }

    [Fact]
    public void ChunkedLogitsEqualOneBatchLogits()
    {
        var (net, archs) = Trained();
        using var _ = net;
        using var data = TestData.Synthetic(600, 7);
        using var scope = TensorScope.Begin();
        var x = data.Batches(600).Single().Images;
        using var chunked = new ChunkedBatchStatistics(10);
        using var noGrad = NoGradScope.Begin();
        foreach (var a in archs)
        {
            using var s = TensorScope.Begin();
            var whole = net.Forward(x, a).ToArray<float>();
            // 9 chunks of 64 and one of 24: uneven chunks
            var parts = chunked.Run(10, i => net.Forward(x.Narrow(0, i * 64L, Math.Min(64, 600 - i * 64L)), a).ToArray<float>());
            var joined = parts.SelectMany(p => p).ToArray();
            Assert.Equal(whole.Length, joined.Length);
            var maxDiff = whole.Zip(joined).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(maxDiff < 1e-4, $"{a}: largest logit difference {maxDiff}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)] // K-shot: every chunk mixes the path's code
    public void ChunkedScoresEqualOneBatchScoresWithoutLeaks(int k)
    {
        var (net, archs) = Trained(k);
        using var _ = net;
        using var data = TestData.Synthetic(600, 8);
        var live = NativeTensors.Settled(); // the trainer's unreferenced tensors are finalized first, so the count is scoring's own
        var before = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = 600, ChunkSize = null, CpuCache = false }).Score(net, archs, data);
        var chunked = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = 600, ChunkSize = 64 }).Score(net, archs, data);
        var byDefault = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = 600 }).Score(net, archs, data);
        Assert.Equal(live, TorchRuntime.LiveNativeTensors);
        // Same statistics up to float rounding: an image whose two top logits tie within rounding could flip; none does here.
        Assert.Equal(before, chunked);
        Assert.Equal(before, byDefault);
        Assert.Contains(before, s => s != before[0]);
    }

    [Fact]
    public void RecalibratedSupernetsScoreTheSameInChunks()
    {
        var (net, archs) = Trained(norm: SupernetNorm.Recalibrated);
        using var _ = net;
        using var data = TestData.Synthetic(600, 10);
        using var calibration = TestData.Synthetic(128, 11);
        SupernetEvaluatorOptions Options(int? chunk) => new() { BatchSize = 600, ChunkSize = chunk, RecalibrationBatches = 2, RecalibrationBatchSize = 64 };
        var before = new SupernetEvaluator(Options(null)).Score(net, archs, data, calibration);
        var chunked = new SupernetEvaluator(Options(64)).Score(net, archs, data, calibration);
        Assert.Equal(before, chunked);
    }

    [Fact]
    public void AFailingChunkStopsTheOthersAndTheWorkersStayUsable()
    {
        var (net, archs) = Trained();
        using var _ = net;
        using var data = TestData.Synthetic(128, 9);
        using var scope = TensorScope.Begin();
        var x = data.Batches(128).Single().Images;
        using var chunked = new ChunkedBatchStatistics(4);
        var a = archs.First(p => p.ToString()!.Contains('2') || p.ToString()!.Contains('3'));
        // Chunk 2 gets images of the wrong size: its stem conv fails while the others wait at the stem's batch norm.
        var bad = Tensor.Randn([32, 3, 8, 8]);
        Assert.ThrowsAny<Exception>(() => chunked.Run(4, i => net.Forward(i == 2 ? bad : x.Narrow(0, i * 32L, 32), a).Size(0)));
        var sizes = chunked.Run(4, i => net.Forward(x.Narrow(0, i * 32L, 32), a).Size(0));
        Assert.Equal([32L, 32, 32, 32], sizes);
    }
}
