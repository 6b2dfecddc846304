using KShotNas.Api;
using KShotNas.Data;
using KShotNas.Deployment;
using KShotNas.Ranking;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Benchmarks;

/// <summary>
/// How well the time budget's retraining probe (<c>CostProbe.StepSeconds</c>) predicts the retraining's step, as the main
/// job meets it: the probe's first call in a fresh process, right after the data is read (a time-budgeted fit does just
/// that), then per round the trainer's own rate over <c>--steps</c> steps and the probe again, now warm. The main job's
/// probe planned 5,133 steps where 8,226 ran (2026-12-05); this separates a cold process from the probe's method.
/// </summary>
public static class RetrainProbeBenchmark
{
    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        TorchRuntime.ConfigureCpuCache(true); // a fit serves libtorch's memory from the cache from its start
        var recipe = NasRecipe.MainJob();
        using var train = FashionMnist.Load(DataSplit.Train);
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        var cell = space.Parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|");
        double Probe()
        {
            using var network = new StandaloneNetwork(space, cell);
            return CostProbe.StepSeconds(network, train, recipe.BatchSize);
        }
        // The trainer's rate over its progress windows after the first.
        double Trainer(int steps)
        {
            var options = recipe.RetrainOptions();
            options.Steps = steps;
            var rates = new List<double>();
            using var network = new StandaloneNetwork(space, cell);
            new ClassifierTrainer(options).Fit(network, train, null,
                new SyncProgress<TrainingProgress>(p => { if (p.Step > options.ReportEvery) rates.Add(p.ImagesPerSecond); }));
            return recipe.BatchSize / Metrics.Median(rates);
        }
        Console.WriteLine($"retraining probe against the trainer: {space.Format(cell)}, batch {recipe.BatchSize}, {o.Threads} threads, "
                          + $"{o.Steps} trainer steps a round, {o.Rounds} rounds");
        var cold = Probe();
        Console.WriteLine($"probe, first call in the process: {cold * 1000:F1} ms/step");
        var trainer = new List<double>();
        var warm = new List<double>();
        for (var r = 0; r < o.Rounds; r++)
        {
            trainer.Add(Trainer(o.Steps));
            warm.Add(Probe());
            Console.WriteLine($"round {r + 1}: trainer {trainer[^1] * 1000:F1} ms/step, probe {warm[^1] * 1000:F1} ms/step");
        }
        var t = Metrics.Median(trainer);
        Console.WriteLine($"median trainer {t * 1000:F1} ms/step; probe/trainer: first call {cold / t:F2}, warm {Metrics.Median(warm) / t:F2}");
        return 0;
    }
}
