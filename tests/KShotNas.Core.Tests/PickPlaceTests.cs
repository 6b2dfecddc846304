using KShotNas.Evaluation;
using KShotNas.Search;
using KShotNas.Supernets;
using KShotNas.Torch;

namespace KShotNas.Core.Tests;

/// <summary>The pick's place among candidates (the run report's line), and scoring a checkpoint in another norm mode.</summary>
public class PickPlaceTests
{
    private static SearchCandidate C(string arch, double acc, long flops) => new(arch, new KShotNas.Search.Evaluation(acc, flops, 1));

    [Fact]
    public void PickPlaceCountsDistinctCandidatesMarginsNoiseAndFlops()
    {
        // a repeated query of "b" counts once; the pick "a" is 0.80 on 400 images: sd sqrt(0.8*0.2/400) = 0.02
        var result = new SearchResult("s", "evolution", [C("b", 0.79, 300), C("a", 0.80, 200), C("c", 0.70, 100), C("b", 0.79, 300), C("d", 0.77, 400)]);
        var place = PickPlace.Of(result, 400, 500);
        Assert.Equal(4, place.Candidates);
        Assert.Equal(0.80, place.Score);
        Assert.Equal(0.79, place.RunnerUp);
        Assert.Equal((0.77 + 0.79) / 2, place.Median, 12);
        Assert.Equal(0.02, place.Noise, 12);
        Assert.Equal(1, place.WithinNoise); // b (0.01 below) is within one standard error, d (0.03 below) is not
        Assert.Equal(3, place.FlopsRank); // b and d have more FLOPs
        Assert.Equal(0.4, place.BudgetShare, 12);
        Assert.Contains("FLOPs rank 3 of 4", place.Summary());
        Assert.Contains("40 % of the FLOPs budget", place.Summary());
        var unknown = PickPlace.Of(result, 0, null);
        Assert.Equal(0, unknown.WithinNoise);
        Assert.True(double.IsNaN(unknown.BudgetShare));
    }

    [Fact]
    public void ABatchStatisticsCheckpointScoresWithPerPathRecalibration()
    {
        var dir = Directory.CreateTempSubdirectory("kshotnas-norm-").FullName;
        try
        {
            var path = Path.Combine(dir, "bs.safetensors");
            TorchRuntime.ManualSeed(3);
            using (var net = SupernetFile.Create(TestData.Tiny)) SupernetFile.Save(path, net);
            using var asTrained = SupernetFile.Load(path);
            using var recal = SupernetFile.Load(path, SupernetNorm.Recalibrated);
            Assert.Equal(SupernetNorm.BatchStatistics, asTrained.Norms.Mode);
            Assert.Equal(SupernetNorm.Recalibrated, recal.Norms.Mode);
            Assert.Equal(asTrained.Parameters().Count, recal.Parameters().Count);
            for (var i = 0; i < asTrained.Parameters().Count; i++)
                Assert.Equal(asTrained.Parameters()[i].ToArray<float>(), recal.Parameters()[i].ToArray<float>());

            using var validation = TestData.Synthetic(64, 1);
            using var calibration = TestData.Synthetic(128, 2);
            var arch = new[] { TestData.Tiny.Sample(new Random(0)) };
            var evaluator = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = 16, RecalibrationBatches = 2, RecalibrationBatchSize = 64 });
            var batchStats = evaluator.Score(asTrained, arch, validation);
            var recalibrated = evaluator.Score(recal, arch, validation, calibration);
            // Batch statistics of 16 images and running statistics of 128 other images normalize differently.
            Assert.NotEqual(batchStats[0], recalibrated[0]);
            // ... and the mode round-trips: the recalibrated copy saved and loaded as batch statistics scores as the original.
            var back = Path.Combine(dir, "recal.safetensors");
            SupernetFile.Save(back, recal);
            using var again = SupernetFile.Load(back, SupernetNorm.BatchStatistics);
            Assert.Equal(batchStats, evaluator.Score(again, arch, validation));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
