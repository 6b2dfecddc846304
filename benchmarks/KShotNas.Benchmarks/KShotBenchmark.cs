using KShotNas.Data;
using KShotNas.KShot;
using KShotNas.Ranking;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Benchmarks;

/// <summary>
/// K-shot NAS costs and effects, each compared within one run: step time of K = 8 against K = 1 on the small
/// NB201 skeleton (warm-up phase: supernet steps with merged weights; alternating phase: supernet and simplex-net
/// steps), the weight and optimizer memory, and the width regularizer's effect on codes over several seeds.
/// </summary>
public static class KShotBenchmark
{
    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        StepTime(o);
        WidthRegularizerEffect();
        return 0;
    }

    private static void StepTime(BenchmarkOptions o)
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        TorchRuntime.ManualSeed(1);
        using var scope = TensorScope.Begin();
        using var data = new ImageDataset(Tensor.Randn([o.Batch * o.Steps, 1, 28, 28]), Tensor.RandInt(0, 10, [o.Batch * o.Steps]), 10);
        Console.WriteLine($"K-shot step time, NB201 C=8 N=1, batch {o.Batch}, m = 16 paths per simplex step, {o.Steps} steps x {o.Rounds} rounds, alternating K");
        var times = new Dictionary<(int K, bool Warm), List<double>>();
        long params1 = 0, params8 = 0;
        for (var r = 0; r < o.Rounds; r++)
            foreach (var warm in new[] { true, false })
                foreach (var k in new[] { 1, 8 })
                {
                    TorchRuntime.ManualSeed(2);
                    using var net = new Nb201Supernet(space, k);
                    if (k > 1) net.Simplex = new SimplexNet(space, k);
                    if (k == 1) params1 = net.ParameterCount(); else params8 = net.ParameterCount() + net.Simplex!.ParameterCount();
                    var result = new SupernetTrainer(new SupernetTrainerOptions
                    {
                        BatchSize = o.Batch, Seed = 3, KShot = new KShotOptions { WarmupEpochs = warm ? 1 : 0, SimplexPaths = 16 },
                    }).Fit(net, data);
                    var list = times.TryGetValue((k, warm), out var l) ? l : times[(k, warm)] = new List<double>();
                    list.Add(result.Duration.TotalMilliseconds / result.Steps);
                }
        foreach (var warm in new[] { true, false })
        {
            double t1 = Metrics.Median(times[(1, warm)]), t8 = Metrics.Median(times[(8, warm)]);
            Console.WriteLine($"{(warm ? "warm-up (lambda = 1/K)   " : "alternating (after warm-up)")}: K=1 {t1:F2} ms/step, K=8 {t8:F2} ms/step, ratio {t8 / t1:F3}");
        }
        Console.WriteLine($"weights: K=1 {params1:N0} ({params1 * 4 / 1024.0:F0} KiB), K=8 {params8:N0} incl. simplex-net ({params8 * 4 / 1024.0:F0} KiB); "
                          + $"SGD momentum doubles each; activations are the same for both");
    }

    private static void WidthRegularizerEffect()
    {
        var space = new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall);
        var reg = WidthRegularizer.For(space)!;
        var rng = new CheckpointableRandom(77);
        var pairs = Enumerable.Range(0, 300).Select(_ => (space.Sample(rng), space.Sample(rng))).ToList();
        Console.WriteLine("\nwidth regularizer r_c: width-weighted mean squared code distance over 300 random pairs after training\n"
                          + "(MobileNetV2 fashion-small, K = 3, synthetic data, no warm-up, m = 4, batch 64)");
        Console.WriteLine("epochs  seed  a=0       a=1       a=5");
        foreach (var epochs in new[] { 2, 6 })
            for (var seed = 0; seed < 3; seed++)
            {
                var row = new List<double>();
                foreach (var a in new[] { 0.0, 1.0, 5.0 })
                {
                    TorchRuntime.ManualSeed((ulong)(10 + seed));
                    using var scope = TensorScope.Begin();
                    using var data = new ImageDataset(Tensor.Randn([512, 1, 28, 28]), Tensor.RandInt(0, 10, [512]), 10);
                    using var net = new MacroSupernet(space, 3);
                    net.Simplex = new SimplexNet(space, 3);
                    new SupernetTrainer(new SupernetTrainerOptions
                    {
                        Epochs = epochs, BatchSize = 64, Seed = (ulong)seed, KShot = new KShotOptions { WarmupEpochs = 0, SimplexPaths = 4, WidthRegularization = a },
                    }).Fit(net, data);
                    row.Add(reg.WeightedCodeDistance(net.Simplex, pairs));
                }
                Console.WriteLine($"{epochs,6}  {seed,4}  {row[0],-8:F4}  {row[1],-8:F4}  {row[2],-8:F4}");
            }
    }
}
