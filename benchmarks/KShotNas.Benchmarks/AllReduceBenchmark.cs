using System.Diagnostics;
using KShotNas.Torch;
using KShotNas.Torch.Distributed;

namespace KShotNas.Benchmarks;

/// <summary>
/// All-reduce latency of one flat float buffer across the ranks of a launched group (RANK, WORLD_SIZE, MASTER_ADDR,
/// MASTER_PORT; run it under `kshotnas launch`), for a range of sizes: the alpha + n/beta cost model that
/// docs/distributed.md extrapolates to 8 and 64 ranks. Rank 0 prints one line per size.
/// </summary>
internal static class AllReduceBenchmark
{
    public static int Run(BenchmarkOptions options)
    {
        TorchRuntime.Threads = 1;
        var settings = LaunchSettings.Resolve(timeout: TimeSpan.FromSeconds(60));
        using var group = ProcessGroup.Create(settings);
        foreach (var elements in new[] { 1_000, 30_418, 100_000, 1_000_000, 4_000_000 })
        {
            using var buffer = Tensor.Ones([elements]);
            var reps = elements >= 1_000_000 ? 10 : 100;
            for (var i = 0; i < 3; i++) group.AllReduce([buffer]); // warm-up
            group.Barrier();
            var times = new List<double>();
            for (var i = 0; i < reps; i++)
            {
                var clock = Stopwatch.StartNew();
                group.AllReduce([buffer]);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            if (group.Rank == 0)
                Console.WriteLine($"all-reduce {elements,9:N0} floats ({elements * 4 / 1024.0:N0} KiB) over {group.WorldSize} ranks: "
                                  + $"median {times[times.Count / 2]:F3} ms, min {times[0]:F3} ms ({reps} reps)");
        }
        return 0;
    }
}
