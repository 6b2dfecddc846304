using System.Diagnostics;
using System.Globalization;
using KShotNas.Ranking;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Benchmarks;

/// <summary>
/// Batch norm with batch statistics (non-affine, as the supernets score) at the shapes NB201 networks run, in one
/// process, alternating per round: the forward without a gradient, which runs the shim's kernel (batch_norm.cpp), against
/// the same forward through libtorch's kernel (taken when the input requires a gradient); best of 7 blocks of 20 each.
/// The training step's forward and backward (libtorch's kernels) is timed beside them for scale.
/// </summary>
public static class BatchNormBenchmark
{
    private static readonly int[][] Shapes = [[64, 8, 28, 28], [64, 16, 14, 14], [64, 32, 7, 7], [64, 64, 8, 8], [256, 8, 28, 28], [2048, 8, 28, 28]];

    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        TorchRuntime.ConfigureCpuCache(true); // as scoring and training run
        Console.WriteLine($"batch norm with batch statistics, {o.Threads} threads, {o.Rounds} rounds alternating, ms per call "
                          + "(ratio: libtorch's forward / the shim's; above 1: the shim's is faster)");
        foreach (var shape in Shapes)
        {
            var own = new List<double>();
            var aten = new List<double>();
            var training = new List<double>();
            for (var r = 0; r < o.Rounds; r++)
            {
                own.Add(Time(shape, grad: false, backward: false));
                aten.Add(Time(shape, grad: true, backward: false));
                training.Add(Time(shape, grad: true, backward: true));
            }
            var (a, b) = (Metrics.Median(own), Metrics.Median(aten));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{string.Join('x', shape),-14} no-grad forward: shim {a,7:F3}  libtorch {b,7:F3}  ratio {b / a,5:F2} (rounds: "
                + $"{string.Join(", ", own.Zip(aten).Select(p => (p.Second / p.First).ToString("F2", CultureInfo.InvariantCulture)))});  "
                + $"training forward + backward (libtorch) {Metrics.Median(training),7:F3}"));
        }
        return 0;
    }

    private static double Time(int[] shape, bool grad, bool backward)
    {
        using var scope = TensorScope.Begin();
        var dims = shape.Select(v => (long)v).ToArray();
        var x = Tensor.Randn(dims).WithRequiresGrad(grad);
        var g = Tensor.Randn(dims);
        void Call()
        {
            using var inner = TensorScope.Begin();
            if (!grad)
            {
                using (NoGradScope.Begin()) Functional.BatchNorm(x, null, null, null, null, training: true);
                return;
            }
            var y = Functional.BatchNorm(x, null, null, null, null, training: true);
            if (backward) (y * g).Sum().Backward();
        }
        for (var i = 0; i < 3; i++) Call();
        var best = double.MaxValue;
        for (var block = 0; block < 7; block++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 20; i++) Call();
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds / 20);
        }
        return best;
    }
}
