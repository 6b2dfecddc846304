using System.Diagnostics;
using KShotNas.Deployment;
using KShotNas.Onnx;
using KShotNas.Onnx.Runtime;
using KShotNas.Ranking;
using KShotNas.Spaces;
using KShotNas.Torch;

namespace KShotNas.Benchmarks;

/// <summary>
/// Inference of the same stand-alone network through ONNX Runtime and through the engine's eager forward (eval mode,
/// no autograd), on the same thread count, rounds alternating: batch-1 latency and batch-256 throughput.
/// </summary>
public static class InferenceBenchmark
{
    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        var cases = new (string Name, SearchSpace Space, string Arch)[]
        {
            ("NB201 C=8 N=1 (best-family cell)", new Nb201Space(Nb201Options.FashionMnistSmall),
                "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
            ("MobileNetV2 fashion-small", new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall), "k3e6@1-k5e6@1-k3e3@1-k5e6@1-k7e6@1-k3e6@1"),
        };
        foreach (var (name, space, arch) in cases)
        {
            TorchRuntime.ManualSeed(0);
            using var net = new StandaloneNetwork(space, space.Parse(arch));
            net.Eval();
            using var predictor = new OnnxPredictor(OnnxExporter.Export(net), o.Threads);
            var (c, h, w, _) = space.InputShape;
            Console.WriteLine($"\n{name}: {o.Threads} threads, {o.Rounds} rounds (ONNX Runtime {OnnxPredictor.RuntimeVersion})");
            foreach (var batch in new[] { 1, 256 })
            {
                using var x = Tensor.Randn([batch, c, h, w]);
                var data = x.ToArray<float>();
                var iterations = batch == 1 ? 300 : 10;
                double Engine()
                {
                    using var noGrad = NoGradScope.Begin();
                    return Time(iterations, () => { using var s = TensorScope.Begin(); _ = net.Forward(x).ToArray<float>(); });
                }
                double Ort() => Time(iterations, () => predictor.Predict(data, batch));
                Engine(); Ort(); // warm-up
                var engine = new List<double>();
                var ort = new List<double>();
                for (var r = 0; r < o.Rounds; r++) { engine.Add(Engine()); ort.Add(Ort()); }
                double e = Metrics.Median(engine), q = Metrics.Median(ort);
                if (batch == 1)
                    Console.WriteLine($"batch 1 latency: engine {e * 1000:F3} ms, ONNX Runtime {q * 1000:F3} ms, ratio ORT/engine {q / e:F3} (lower is faster)");
                else
                    Console.WriteLine($"batch 256 throughput: engine {batch / e:F0} img/s, ONNX Runtime {batch / q:F0} img/s, ratio ORT/engine {e / q:F3} (higher is faster)");
            }
        }
        return 0;
    }

    private static double Time(int iterations, Action action)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) action();
        return clock.Elapsed.TotalSeconds / iterations;
    }
}
