using System.Diagnostics;
using KShotNas.Api;
using KShotNas.Data;
using KShotNas.Ranking;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Benchmarks;

/// <summary>
/// How well the time budget's cost probe predicts a real supernet step: the main job's supernet (FairNAS + CaLR + MS,
/// NB201 C=8 N=1) on 30,000 Fashion-MNIST training images, in one process, alternating each round: the probe's
/// seconds per step and the trainer's for `--steps` steps (its own progress rate), each with the caching allocator and with glibc. The
/// plan decides whether to search from the probe, so their ratio is what the decision is off by.
/// </summary>
public static class ProbeBenchmark
{
    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        var recipe = NasRecipe.MainJob();
        using var full = FashionMnist.Load(DataSplit.Train);
        using var train = full.Subset(30_000, 0);
        using var supernet = recipe.Method.Build(new Spaces.Nb201Space(Spaces.Nb201Options.FashionMnistSmall));
        var options = recipe.SupernetOptions();
        var sampler = new PathSampler(supernet.Space, options.Sampling, options.SandwichRandomPaths);
        Console.WriteLine($"{recipe.Method.Name} + CaLR + MS, batch {recipe.BatchSize}, {o.Threads} threads, {o.Steps} trainer steps a round, {o.Rounds} rounds");
        // The trainer's own rate over its progress windows after the first (its set-up, e.g. CaLR's complexity range, is left out).
        double Trainer(int steps)
        {
            var run = options.Clone();
            run.Steps = 10_000; // the schedules' scale only
            run.StopAtStep = steps;
            var rates = new List<double>();
            var paths = sampler.Next(new Random(0)).Count;
            recipe.Method.Train(supernet, train, run, new SyncProgress<SupernetProgress>(p => { if (p.Step > run.ReportEvery) rates.Add(p.ImagesPerSecond); }));
            return run.BatchSize * paths / Metrics.Median(rates);
        }
        TorchRuntime.ConfigureCpuCache(false); // installs the allocator; each measurement then picks cache or glibc
        Trainer(2 * options.ReportEvery);
        var kinds = new[] { ("probe", false), ("probe", true), ("trainer", false), ("trainer", true) };
        var times = kinds.ToDictionary(k => k, _ => new List<double>());
        for (var r = 0; r < o.Rounds; r++)
        {
            foreach (var kind in r % 2 == 0 ? kinds : kinds.Reverse())
            {
                TorchRuntime.ConfigureCpuCache(kind.Item2);
                times[kind].Add(kind.Item1 == "probe" ? CostProbe.SupernetStepSeconds(supernet, train, recipe.BatchSize, sampler, new Random(r)) : Trainer(o.Steps));
                Console.WriteLine($"round {r + 1}: {kind.Item1,-7} {(kind.Item2 ? "cache" : "glibc"),-5} {times[kind][^1] * 1000,5:F0} ms/step");
            }
        }
        foreach (var cache in new[] { false, true })
        {
            double probe = Metrics.Median(times[("probe", cache)]), trainer = Metrics.Median(times[("trainer", cache)]);
            Console.WriteLine($"median, {(cache ? "caching allocator" : "glibc")}: probe {probe * 1000:F0} ms/step, trainer {trainer * 1000:F0} ms/step, trainer/probe {trainer / probe:F2}");
        }
        Console.WriteLine($"trainer glibc/cache: {Metrics.Median(times[("trainer", false)]) / Metrics.Median(times[("trainer", true)]):F2}");
        return 0;
    }
}
