using System.Diagnostics;
using KShotNas.Models;
using KShotNas.Ranking;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;

namespace KShotNas.Benchmarks;

/// <summary>
/// SmallCnn training throughput: this binding against benchmarks/peers/small_cnn.py (PyTorch eager), same
/// network, optimizer, threads, batch and input shape, rounds alternating between the two.
/// </summary>
public static class CnnBenchmark
{
    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        TorchRuntime.ManualSeed(0);
        var script = PeerScript();
        Console.WriteLine($"SmallCnn training step, batch {o.Batch}, 1x28x28 input, {o.Threads} threads, {o.Steps} timed steps after {o.Warmup} warm-up, {o.Rounds} rounds");
        Console.WriteLine("round  ours img/s  pytorch img/s  ratio");
        var ours = new List<double>();
        var peer = new List<double>();
        for (var r = 0; r < o.Rounds; r++)
        {
            ours.Add(Ours(o));
            peer.Add(PeerProcess.ImagesPerSecond(o.Python, script, $"--threads {o.Threads} --batch {o.Batch} --steps {o.Steps} --warmup {o.Warmup}"));
            Console.WriteLine($"{r + 1,5}  {ours[^1],10:F0}  {peer[^1],13:F0}  {ours[^1] / peer[^1],5:F3}");
        }
        var ratio = Metrics.Median(ours) / Metrics.Median(peer);
        Console.WriteLine($"median: ours {Metrics.Median(ours):F0} img/s, pytorch {Metrics.Median(peer):F0} img/s, ratio (ours / pytorch) = {ratio:F3}");
        return 0;
    }

    private static string PeerScript() => PeerProcess.PeerScript("small_cnn.py");

    private static double Ours(BenchmarkOptions o)
    {
        using var model = new SmallCnn();
        using var sgd = new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.01, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 });
        using var x = Tensor.Randn([o.Batch, 1, 28, 28]);
        using var y = Tensor.RandInt(0, 10, [o.Batch]);
        void Step()
        {
            using var scope = TensorScope.Begin();
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            sgd.ZeroGrad();
            loss.Backward();
            sgd.Step();
            _ = loss.ToDouble(); // like loss.item(): the step is complete
        }
        for (var i = 0; i < o.Warmup; i++) Step();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < o.Steps; i++) Step();
        return o.Steps * o.Batch / clock.Elapsed.TotalSeconds;
    }
}
