using System.Diagnostics;
using KShotNas.Data;
using KShotNas.Evaluation;
using KShotNas.Ranking;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;
using KShotNas.Training;

namespace KShotNas.Benchmarks;

/// <summary>
/// NB201 supernet benchmarks, each a ratio within one run:
/// (1) SPOS step throughput against benchmarks/peers/nb201_supernet.py, replaying the same path sequence;
/// (2) SPOS+CaLR+MS step time against plain SPOS through the trainer, and the memory MS adds;
/// (3) paths scored per second.
/// </summary>
public static class SupernetBenchmark
{
    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        foreach (var (name, options) in new[] { ("NB201 C=16 N=5, 3x32x32", new Nb201Options()), ("NB201 C=8 N=1, 1x28x28", Nb201Options.FashionMnistSmall) })
            VersusPyTorch(o, name, new Nb201Space(options));
        CalrMsOverhead(o);
        Scoring(o);
        return 0;
    }

    private static void VersusPyTorch(BenchmarkOptions o, string name, Nb201Space space)
    {
        var rng = new CheckpointableRandom(7);
        var paths = Enumerable.Range(0, o.Warmup + o.Steps).Select(_ => space.Sample(rng)).ToList();
        var pathFile = Path.GetTempFileName();
        File.WriteAllLines(pathFile, paths.Select(p => p.ToString()));
        var s = space.Options;
        Console.WriteLine($"\n{name}: SPOS training step, batch {o.Batch}, {o.Threads} threads, {o.Steps} timed steps (same paths both sides), {o.Rounds} rounds");
        Console.WriteLine("round  ours img/s  pytorch img/s  ratio");
        var ours = new List<double>();
        var peer = new List<double>();
        try
        {
            for (var r = 0; r < o.Rounds; r++)
            {
                ours.Add(Ours(space, paths, o));
                peer.Add(PeerProcess.ImagesPerSecond(o.Python, PeerProcess.PeerScript("nb201_supernet.py"),
                    $"--threads {o.Threads} --C {s.C} --N {s.N} --in-channels {s.InputChannels} --size {s.InputSize} --batch {o.Batch} --warmup {o.Warmup} --paths \"{pathFile}\""));
                Console.WriteLine($"{r + 1,5}  {ours[^1],10:F0}  {peer[^1],13:F0}  {ours[^1] / peer[^1],5:F3}");
            }
        }
        finally
        {
            File.Delete(pathFile);
        }
        Console.WriteLine($"median: ours {Metrics.Median(ours):F0} img/s, pytorch {Metrics.Median(peer):F0} img/s, ratio (ours / pytorch) = {Metrics.Median(ours) / Metrics.Median(peer):F3}");
    }

    private static double Ours(Nb201Space space, List<Architecture> paths, BenchmarkOptions o)
    {
        TorchRuntime.ManualSeed(0);
        using var net = new Nb201Supernet(space);
        var parameters = new ParameterList(net.Parameters());
        using var sgd = new Sgd(parameters.Tensors, new SgdOptions { LearningRate = 0.025, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 });
        var s = space.Options;
        using var x = Tensor.Randn([o.Batch, s.InputChannels, s.InputSize, s.InputSize]);
        using var y = Tensor.RandInt(0, 10, [o.Batch]);
        void Step(Architecture a)
        {
            using var scope = TensorScope.Begin();
            var loss = Functional.CrossEntropy(net.Forward(x, a), y);
            sgd.ZeroGrad();
            loss.Backward();
            Gradients.ClipByGlobalNorm(parameters, 5);
            sgd.Step();
            _ = loss.ToDouble();
        }
        foreach (var a in paths.Take(o.Warmup)) Step(a);
        var clock = Stopwatch.StartNew();
        foreach (var a in paths.Skip(o.Warmup)) Step(a);
        return o.Steps * o.Batch / clock.Elapsed.TotalSeconds;
    }

    private static void CalrMsOverhead(BenchmarkOptions o)
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        TorchRuntime.ManualSeed(1);
        using var scope = TensorScope.Begin();
        using var data = new ImageDataset(Tensor.Randn([o.Batch * o.Steps, 1, 28, 28]), Tensor.RandInt(0, 10, [o.Batch * o.Steps]), 10);
        Console.WriteLine($"\nNB201 C=8 N=1 through SupernetTrainer: SPOS vs SPOS+CaLR+MS (1 random edge, 5 clusters), {o.Steps} steps x {o.Rounds} rounds, alternating");
        var plain = new List<double>();
        var calrMs = new List<double>();
        long msElements = 0, weights = 0;
        for (var r = 0; r < o.Rounds; r++)
        {
            foreach (var withMs in new[] { false, true })
            {
                TorchRuntime.ManualSeed(2);
                using var net = new Nb201Supernet(space);
                weights = net.ParameterCount();
                var result = new SupernetTrainer(new SupernetTrainerOptions { BatchSize = o.Batch, Seed = 3, Calr = withMs, MomentumSeparation = withMs })
                    .Fit(net, data);
                (withMs ? calrMs : plain).Add(result.Duration.TotalSeconds / result.Steps);
                if (withMs) msElements = result.MomentumElements;
            }
            Console.WriteLine($"round {r + 1}: SPOS {plain[^1] * 1000:F2} ms/step, SPOS+CaLR+MS {calrMs[^1] * 1000:F2} ms/step, ratio {calrMs[^1] / plain[^1]:F3}");
        }
        Console.WriteLine($"median step time ratio (CaLR+MS / SPOS) = {Metrics.Median(calrMs) / Metrics.Median(plain):F3}");
        Console.WriteLine($"momentum buffers after one epoch with MS: {msElements:N0} floats ({msElements * 4 / 1024.0:F0} KiB) for {weights:N0} weights; "
                          + $"plain SPOS holds one set ({weights * 4 / 1024.0:F0} KiB); MS holds up to 5 sets");
    }

    private static void Scoring(BenchmarkOptions o)
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        TorchRuntime.ManualSeed(4);
        using var net = new Nb201Supernet(space);
        using var scope = TensorScope.Begin();
        using var data = new ImageDataset(Tensor.Randn([2048, 1, 28, 28]), Tensor.RandInt(0, 10, [2048]), 10);
        var rng = new CheckpointableRandom(5);
        var archs = Enumerable.Range(0, 40).Select(_ => space.Sample(rng)).ToList();
        var clock = Stopwatch.StartNew();
        new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = 2048 }).Score(net, archs, data);
        Console.WriteLine($"\nscoring: {archs.Count / clock.Elapsed.TotalSeconds:F2} paths/s (NB201 C=8 N=1, one 2,048-image batch per path, {o.Threads} threads); "
                          + $"all 15,625 cells would take {15625 / (archs.Count / clock.Elapsed.TotalSeconds) / 60:F0} min");
    }
}
