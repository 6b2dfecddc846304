using System.Diagnostics;
using KShotNas.Data;
using KShotNas.Evaluation;
using KShotNas.Ranking;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Training;

namespace KShotNas.Benchmarks;

/// <summary>
/// Batch-statistics scoring of NB201 C=8 N=1 paths on one 2,048-image batch, in one process, configurations alternating
/// each round: the former way (one forward, glibc memory), one forward with the caching allocator (the default), and
/// chunks of 256, 512 and 1,024 with the whole batch's statistics, and one forward that writes each cell node once per
/// incoming edge on unpruned cells (as before the one-pass nodes). Per configuration: ms per path, the time the
/// path's convolutions alone take at the kernels' measured speed (roofline), peak bytes of CPU tensors, peak RSS
/// growth and page faults per path. Each round also times the paths' convolutions alone at 2,048 images
/// (<see cref="ConvOnlyForward"/>), and each configuration's time is divided by that round's. Also training's images/s
/// (SPOS, batch 64) for the cost of a scored image.
/// </summary>
public static class ScoringBenchmark
{
    // Batch < 2,048: separate evaluation batches, each normalized with its own statistics (not the exact scores): the
    // same arithmetic as chunks of that size without the hand-overs, so the difference is the hand-overs' cost.
    // PerEdge: each cell node written once per incoming edge, unpruned (Nb201Supernet.FuseNodes off), as before the
    // one-pass nodes.
    private sealed record Config(string Name, bool Cache, int? Chunk, int Batch = 2048, bool PerEdge = false);

    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        TorchRuntime.ConfigureCpuCache(false); // installs the counting allocator; caching per configuration
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        TorchRuntime.ManualSeed(4);
        using var net = new Nb201Supernet(space);
        using var scope = TensorScope.Begin();
        using var data = new ImageDataset(Tensor.Randn([2048, 1, 28, 28]), Tensor.RandInt(0, 10, [2048]), 10);
        var rng = new CheckpointableRandom(5);
        var paths = Enumerable.Range(0, o.Paths).Select(_ => space.Sample(rng)).ToList();
        var configs = new[] { new Config("one batch, glibc (before)", false, null), new Config("one batch, cache (default)", true, null), new Config("chunks of 256, cache", true, 256),
            new Config("chunks of 512, cache", true, 512), new Config("chunks of 1024, cache", true, 1024),
            new Config("one batch, a pass per edge", true, null, PerEdge: true), new Config("8 batches of 256 (no hand-overs)", true, null, 256) };
        // --only 'a|b': just the configurations whose names contain one of these (for profiling one of them); the
        // comparisons below need the full set.
        if (o.Only is { } only)
            configs = configs.Where(c => only.Split('|').Any(w => c.Name.Contains(w, StringComparison.OrdinalIgnoreCase))).ToArray();
        Console.WriteLine($"NB201 C=8 N=1, {paths.Count} paths x 2,048 images, batch statistics, {o.Threads} threads, {o.Rounds} rounds alternating");
        TorchRuntime.ConfigureCpuCache(true); // kernels timed without glibc's page faults
        var convMs = ConvRoofline(space, paths, o);
        if (o.Only is null || o.Only.Contains("kernels", StringComparison.OrdinalIgnoreCase)) OtherKernels(o.BatchSet ? o.Batch : 256);
        TorchRuntime.ConfigureCpuCache(false);
        var times = configs.ToDictionary(c => c, _ => new List<double>());
        var ratios = configs.ToDictionary(c => c, _ => new List<double>()); // to the same round's conv-only forward
        var scores = new Dictionary<Config, double[]>();
        foreach (var c in configs) Score(net, paths.Take(1).ToList(), data, c); // warm-up (oneDNN primitives, caches)
        using var convForward = new ConvOnlyForward(space, paths);
        convForward.Run(); // warm-up
        for (var r = 0; r < o.Rounds; r++)
        {
            Config? previous = null;
            // The convolutions alone, timed in the round at its start or end (alternating), so that the ratio compares
            // runs under the same load: the roofline above is a best-of at batch 256, measured once.
            var convFirst = r % 2 == 0;
            var convRound = convFirst ? convForward.Run() : 0;
            if (convFirst) Console.WriteLine($"round {r + 1} {"conv-only forward",-32} {convRound,7:F0} ms/path");
            foreach (var c in r % 2 == 0 ? configs : configs.Reverse())
            {
                // The glibc configuration empties the cache; refill it untimed, as a search's later calls find it full.
                // All paths: one path's blocks did not cover the others' (13,000 page faults a path in the timed run).
                if (c.Cache && previous is { Cache: false }) Score(net, paths, data, c);
                previous = c;
                var (seconds, s, peak, rss, faults) = Score(net, paths, data, c);
                scores[c] = s;
                times[c].Add(seconds * 1000 / paths.Count);
                Console.WriteLine($"round {r + 1} {c.Name,-32} {times[c][^1],7:F0} ms/path  x{times[c][^1] / convMs,5:F2} of conv-only  "
                                  + $"peak tensors {peak / 1048576.0,6:F0} MiB  RSS growth {rss / 1048576.0,6:F0} MiB  {faults / paths.Count,7:N0} page faults/path");
            }
            if (!convFirst)
            {
                convRound = convForward.Run();
                Console.WriteLine($"round {r + 1} {"conv-only forward",-32} {convRound,7:F0} ms/path");
            }
            foreach (var c in configs) ratios[c].Add(times[c][^1] / convRound);
        }
        foreach (var c in configs.Where(c => ratios[c].Count > 0))
            Console.WriteLine($"{c.Name,-32} against the conv-only forward of its round: median x{Metrics.Median(ratios[c]):F2} "
                              + $"(x{ratios[c].Min():F2}-{ratios[c].Max():F2} over {ratios[c].Count} rounds)");
        if (configs.FirstOrDefault(c => c.Name.Contains("default")) is { } defaultConfig && o.Rounds > 0)
            PairedByPath(net, paths, data, defaultConfig, convForward, o.Rounds);
        if (o.Rounds == 0 || o.Only is not null) return 0;
        var before = Metrics.Median(times[configs[0]]);
        foreach (var c in configs)
            Console.WriteLine($"median {c.Name,-32} {Metrics.Median(times[c]),7:F0} ms/path  speed-up x{before / Metrics.Median(times[c]):F2}  "
                              + $"scoring/conv-only x{Metrics.Median(times[c]) / convMs:F2}  {2048 * 1000 / Metrics.Median(times[c]):F0} img/s");
        var exact = configs.Where(c => c.Batch == 2048).ToList();
        var same = exact.All(c => scores[c].SequenceEqual(scores[configs[0]]));
        var maxDiff = exact.Max(c => scores[c].Zip(scores[configs[0]]).Max(p => Math.Abs(p.First - p.Second)));
        Console.WriteLine($"scores equal across the exact configurations: {same} (largest difference {maxDiff:G3})");
        // Hand-overs, merging, and what keeping every chunk's frontier alive costs (colder caches, a larger footprint).
        var exactCost = Metrics.Median(times[configs[2]]) - Metrics.Median(times[configs[^1]]);
        Console.WriteLine($"exact statistics over chunks (chunks of 256 against 8 batches of 256): {exactCost:F0} ms/path "
                          + $"({100 * exactCost / Metrics.Median(times[configs[2]]):F0} % of the chunks' time)");
        var train = TrainingImagesPerSecond(space, paths, o);
        var scoredPerSecond = 2048 * 1000 / Metrics.Median(times[configs[1]]); // the default
        Console.WriteLine($"training (SPOS, batch 64, forward+backward+step): {train:F0} img/s; a scored image (default) costs "
                          + $"{train / scoredPerSecond:F2} trained images (before: {train / (2048 * 1000 / before):F2})");
        return 0;
    }

    /// <summary>
    /// The default against the convolutions alone path by path, the two back to back in alternating order, so that each
    /// ratio compares runs a second apart: on a machine whose load changes by the minute the per-round ratios still
    /// moved by 20 %.
    /// </summary>
    private static void PairedByPath(Nb201Supernet net, List<Architecture> paths, ImageDataset data, Config c, ConvOnlyForward convs, int rounds)
    {
        var ratios = new List<double>();
        var perRound = new List<double>(); // total scoring over total convolutions, each round's pairs
        for (var r = 0; r < rounds; r++)
        {
            double scoreSum = 0, convSum = 0;
            for (var p = 0; p < paths.Count; p++)
            {
                var convFirst = (r + p) % 2 == 0;
                var conv = convFirst ? convs.RunPath(p) : 0;
                var score = Score(net, [paths[p]], data, c).Seconds * 1000;
                if (!convFirst) conv = convs.RunPath(p);
                ratios.Add(score / conv);
                (scoreSum, convSum) = (scoreSum + score, convSum + conv);
            }
            perRound.Add(scoreSum / convSum);
        }
        ratios.Sort();
        Console.WriteLine($"{c.Name} against its convolutions alone, path by path ({ratios.Count} pairs): all paths' time over "
                          + $"their convolutions' x{Metrics.Median(perRound):F2} (median of {rounds} rounds, x{perRound.Min():F2}-{perRound.Max():F2}); "
                          + $"per path median x{Metrics.Median(ratios):F2}, quartiles x{ratios[ratios.Count / 4]:F2}-{ratios[3 * ratios.Count / 4]:F2}");
    }

    private static (double Seconds, double[] Scores, long PeakTensors, long RssGrowth, long Faults) Score(Nb201Supernet net, List<Architecture> paths, ImageDataset data, Config c)
    {
        GC.Collect();
        TorchRuntime.ResetCpuPeak();
        var baseTensors = TorchRuntime.CpuMemory.InUse;
        var rss0 = ProcStatus("VmRSS:");
        TryResetPeakRss();
        var faults0 = MinorFaults();
        var clock = Stopwatch.StartNew();
        if (!c.Cache) TorchRuntime.ConfigureCpuCache(false); // scoring leaves the cache on
        using var evaluator = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = c.Batch, CpuCache = c.Cache, ChunkSize = c.Chunk });
        net.FuseNodes = !c.PerEdge;
        var s = evaluator.Score(net, paths, data);
        net.FuseNodes = true;
        var seconds = clock.Elapsed.TotalSeconds;
        var faults = MinorFaults() - faults0;
        return (seconds, s, TorchRuntime.CpuMemory.Peak - baseTensors, ProcStatus("VmHWM:") - rss0, faults);
    }

    /// <summary>
    /// Milliseconds the average path's convolutions take on 2,048 images when run alone (each distinct conv shape timed at
    /// batch 256, scaled by 8): the arithmetic floor scoring is compared with. Prints each kernel's GFLOP/s.
    /// </summary>
    private static double ConvRoofline(Nb201Space space, List<Architecture> paths, BenchmarkOptions o)
    {
        const int batch = 256;
        var opt = space.Options;
        var cache = new Dictionary<(int Cin, int Cout, int K, int Stride, int Size), double>();
        double Ms(int cin, int cout, int k, int stride, int size)
        {
            var key = (cin, cout, k, stride, size);
            if (cache.TryGetValue(key, out var ms)) return ms;
            using var scope = TensorScope.Begin();
            var w = Tensor.Randn([cout, cin, k, k]);
            // Both layouts the shim's convolutions use, the faster one counting: NCHW (what a convolution with a gradient
            // runs; an input that requires one selects it) and channels-last without a gradient (scoring's; the input
            // comes out of a convolution, so it is already channels-last and nothing converts it).
            var nchw = Tensor.Randn([batch, cin, size, size]).WithRequiresGrad();
            Tensor channelsLast;
            using (NoGradScope.Begin()) channelsLast = ChannelsLast(Tensor.Randn([batch, cin, size, size]));
            double Best(Tensor x, bool grad)
            {
                if (grad) return Time(x); // called with gradients on
                using var noGrad = NoGradScope.Begin();
                return Time(x);
            }
            double Time(Tensor x)
            {
                for (var i = 0; i < 3; i++) using (TensorScope.Begin()) Functional.Conv2d(x, w, null, stride, k / 2);
                // best of 7 blocks of 5: the kernel's speed when the shared machine lets it run (a roofline, not an average)
                var best = double.MaxValue;
                for (var block = 0; block < 7; block++)
                {
                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < 5; i++) using (TensorScope.Begin()) Functional.Conv2d(x, w, null, stride, k / 2);
                    best = Math.Min(best, clock.Elapsed.TotalMilliseconds / 5);
                }
                return best;
            }
            var msNchw = Best(nchw, grad: true);
            var msCl = Best(channelsLast, grad: false);
            ms = Math.Min(msNchw, msCl);
            var outSize = size / stride;
            var flops = 2.0 * batch * cout * outSize * outSize * cin * k * k;
            Console.WriteLine($"  conv {k}x{k} {cin}->{cout} stride {stride} on {batch}x{cin}x{size}x{size}: NCHW {msNchw:F2} ms, "
                              + $"channels-last {msCl:F2} ms; best {flops / ms / 1e6:F2} GFLOP/s");
            return cache[key] = ms;
        }
        Console.WriteLine("convolution kernels alone (batch 256):");
        foreach (var (cin, size) in new[] { (8, 28), (16, 14), (32, 7) })
        {
            // A 1x1 convolution is a matrix product: [Cout, Cin] x [N, Cin, HW]
            using var scope = TensorScope.Begin();
            using var noGrad = NoGradScope.Begin();
            var x = Tensor.Randn([batch, cin, size, size]);
            var w = Tensor.Randn([cin, cin, 1, 1]);
            Tensor Mm() => w.Reshape(cin, cin).MatMul(x.Reshape(batch, cin, size * size)).Reshape(batch, cin, size, size);
            var best = double.MaxValue;
            for (var block = 0; block < 7; block++)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < 5; i++) using (TensorScope.Begin()) Mm();
                best = Math.Min(best, clock.Elapsed.TotalMilliseconds / 5);
            }
            var diff = (Mm() - Functional.Conv2d(x, w, null, 1, 0)).Abs().Max().ToDouble();
            Console.WriteLine($"  1x1 {cin}->{cin} on {batch}x{cin}x{size}x{size} as a matrix product: {best:F2} ms, "
                              + $"{2.0 * batch * cin * cin * size * size / best / 1e6:F2} GFLOP/s (largest difference to conv {diff:G2})");
        }
        double total = 0, macs = 0, normBytes = 0;
        // Every convolution feeds one batch norm. With the whole batch's statistics, a conv's 2,048-image output (51 MiB at
        // stage 0, beyond any cache) is written before its statistics are known and read again to be normalized: at least
        // two passes through memory per norm site, whatever the chunking.
        double Site(int cin, int cout, int k, int stride, int size)
        {
            normBytes += 2.0 * 2048 * cout * (size / stride) * (size / stride) * sizeof(float);
            return Ms(cin, cout, k, stride, size);
        }
        foreach (var a in paths)
        {
            var t = ConvOnlyForward.Convolutions(opt, a).Sum(c => Site(c.Cin, c.Cout, c.K, c.Stride, c.Size));
            total += t * 2048 / batch;
            macs += space.Profile(Nb201Space.Pruned(a)).Flops; // what scoring computes
        }
        var convMs = total / paths.Count;
        var gflops = 2.0 * macs / paths.Count * 2048 / convMs / 1e6;
        Console.WriteLine($"average path: {2.0 * macs / paths.Count / 1e6:F2} MFLOP per image (profiler MACs x 2, cells pruned); its convolutions alone take {convMs:F0} ms "
                          + $"on 2,048 images ({gflops:F2} GFLOP/s)");
        var bandwidth = StreamBytesPerSecond();
        var normMs = normBytes / paths.Count / bandwidth * 1000;
        Console.WriteLine($"memory: {bandwidth / 1e9:F1} GB/s streaming (a + b on 64 MiB tensors, best of 7); the average path's norm sites "
                          + $"move at least {normBytes / paths.Count / 1048576:F0} MiB ({normMs:F0} ms): exact batch statistics cannot score "
                          + $"faster than conv-only + that = {convMs + normMs:F0} ms, x{(convMs + normMs) / convMs:F2} of conv-only");
        return convMs;
    }

    /// <summary>Bytes per second through memory for an elementwise add of two 64 MiB tensors (two reads, one write).</summary>
    private static double StreamBytesPerSecond()
    {
        using var scope = TensorScope.Begin();
        using var noGrad = NoGradScope.Begin();
        const long n = 16L << 20;
        var a = Tensor.Randn([n]);
        var b = Tensor.Randn([n]);
        using (TensorScope.Begin()) _ = a + b; // the output block is then served by the cache
        var best = double.MaxValue;
        for (var block = 0; block < 7; block++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 5; i++) using (TensorScope.Begin()) _ = a + b;
            best = Math.Min(best, clock.Elapsed.TotalSeconds / 5);
        }
        return 3.0 * n * sizeof(float) / best;
    }

    /// <summary>
    /// <paramref name="x"/> in the channels-last layout that convolutions without a gradient produce (the binding has no
    /// layout call; a 1x1 convolution's output is the layout scoring's kernels see). Call with gradients off.
    /// </summary>
    private static Tensor ChannelsLast(Tensor x) => Functional.Conv2d(x, Tensor.Randn([x.Size(1), x.Size(1), 1, 1]), null);

    /// <summary>
    /// The memory-bound kernels a path runs besides convolutions, on <paramref name="batch"/> stage-0 images (256 by default,
    /// a 6.4 MiB chunk; `--batch 2048` gives scoring's whole batch, 49 MiB, beyond the caches) in the channels-last layout
    /// scoring runs in.
    /// </summary>
    private static void OtherKernels(int batch)
    {
        using var scope = TensorScope.Begin();
        using var noGrad = NoGradScope.Begin();
        var x = ChannelsLast(Tensor.Randn([batch, 8, 28, 28]));
        var y = ChannelsLast(Tensor.Randn([batch, 8, 28, 28]));
        var mean = Tensor.Zeros([8]);
        var var = Tensor.Ones([8]);
        var w = Tensor.Randn([8, 8, 3, 3]);
        Console.WriteLine($"other kernels on {batch} x 8 x 28 x 28 ({batch * 8 * 28 * 28 * 4.0 / 1048576:F1} MiB), channels-last (best of 7 blocks of 5):");
        foreach (var (name, op) in new (string, Func<Tensor>)[]
                 {
                     ("conv 3x3 (reference)", () => Functional.Conv2d(x, w, null, 1, 1)),
                     ("relu", () => x.Relu()),
                     ("add", () => x + y),
                     ("add in place (y += x)", () => y.AddInPlace(x)),
                     ("relu in place", () => y.ClampMinInPlace(0)),
                     ("channel moments (the moments pass)", () => { Functional.ChannelMoments(x); return x; }),
                     ("batch norm in place, with relu", () => Functional.BatchNormInto(y, null, null, null, null, training: true, y, accumulate: false, relu: true)),
                     ("batch norm, batch statistics", () => Functional.BatchNorm(x, null, null, null, null, training: true)),
                     ("batch norm, given statistics", () => Functional.BatchNorm(x, mean, var, null, null, training: false)),
                     ("batch norm added into a sum (x + bn(y))", () => Functional.BatchNormInto(y, null, null, null, null, training: true, x, accumulate: true)),
                     ("per-channel mean", () => x.Mean([0, 2, 3])),
                     ("per-channel var", () => x.Var([0, 2, 3])),
                     ("avg pool 3x3 stride 1 (libtorch)", () => Functional.AvgPool2dReference(x, 3, 1, 1, countIncludePad: false)),
                     ("avg pool 3x3 stride 1 (box sum)", () => Functional.AvgPool2d(x, 3, 1, 1, countIncludePad: false)),
                     ("avg pool 3x3 added into a sum", () => Functional.AvgPool2dAddTo(y, x, 3, 1, 1, countIncludePad: false)),
                     ("avg pool 2x2 stride 2 (libtorch)", () => Functional.AvgPool2dReference(x, 2, 2)),
                     ("avg pool 2x2 stride 2 (four taps)", () => Functional.AvgPool2d(x, 2, 2)),
                 })
        {
            var best = double.MaxValue;
            for (var block = 0; block < 7; block++)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < 5; i++) using (TensorScope.Begin()) op();
                best = Math.Min(best, clock.Elapsed.TotalMilliseconds / 5);
            }
            Console.WriteLine($"  {name,-34} {best,6:F2} ms");
        }
    }

    private static double TrainingImagesPerSecond(Nb201Space space, List<Architecture> paths, BenchmarkOptions o)
    {
        TorchRuntime.ManualSeed(2);
        using var net = new Nb201Supernet(space);
        using var scope = TensorScope.Begin();
        using var data = new ImageDataset(Tensor.Randn([64 * 40, 1, 28, 28]), Tensor.RandInt(0, 10, [64 * 40]), 10);
        var result = new SupernetTrainer(new SupernetTrainerOptions { BatchSize = 64, Seed = 3 }).Fit(net, data);
        return result.Steps * 64 / result.Duration.TotalSeconds;
    }

    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7]); // minflt is field 10 of stat; fields here start at field 3
    }

    private static long ProcStatus(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key)) return long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024;
        return 0;
    }

    private static void TryResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
