using KShotNas.Tests.Shared;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KShotNas.Torch.Distributed;
using KShotNas.Torch.Optim;

namespace KShotNas.Torch.Tests;

/// <summary>c10d collectives through the shim, two ranks on loopback (one thread each, each its own process group).</summary>
public sealed class ProcessGroupTests
{

    /// <summary>Runs <paramref name="body"/> as ranks 0..world-1 on threads; returns each rank's result or exception.</summary>
    internal static (T? Result, Exception? Error)[] RunRanks<T>(int world, Func<ProcessGroup, T> body, double timeoutSeconds = 20)
    {
        var port = LaunchSettings.FreeLoopbackPort();
        var tasks = Enumerable.Range(0, world).Select(r => Task.Factory.StartNew(() =>
        {
            using var group = ProcessGroup.Create("127.0.0.1", port, r, world, TimeSpan.FromSeconds(timeoutSeconds));
            return body(group);
        }, TaskCreationOptions.LongRunning)).ToArray();
        try { Task.WaitAll(tasks); } catch (AggregateException) { }
        return tasks.Select(t => t.IsFaulted ? (default(T), t.Exception!.InnerException) : (t.Result, (Exception?)null)).ToArray();
    }

    private static T[] Ok<T>((T? Result, Exception? Error)[] results) =>
        results.Select(r => r.Error is null ? r.Result! : throw new Xunit.Sdk.XunitException(r.Error.ToString())).ToArray();

    [Fact]
    public void AllReduceSumsAndAveragesAListOfTensorsInOneBuffer()
    {
        var before = NativeTensors.Settled();
        var results = Ok(RunRanks(2, g =>
        {
            using var a = Tensor.FromArray(new float[] { 1 + g.Rank, 2 }, [2]);
            using var b = Tensor.FromArray(new float[] { 10 * (g.Rank + 1), 0, 1, 2 }, [2, 2]);
            g.AllReduce([a, b]);
            var sum = a.ToArray<float>().Concat(b.ToArray<float>()).ToArray();
            g.AllReduce([a], average: true);
            return (sum, avg: a.ToArray<float>(), g.Collectives);
        }));
        foreach (var (sum, avg, collectives) in results)
        {
            Assert.Equal(new float[] { 3, 4, 30, 0, 2, 4 }, sum);
            Assert.Equal(new float[] { 3, 4 }, avg); // both ranks held [3, 4] after the sum
            Assert.Equal(2, collectives);
        }
        Assert.Equal(before, TorchRuntime.LiveNativeTensors);
    }

    [Fact]
    public void GradientAllReduceSkipsParametersWithoutGradientAndAverages()
    {
        var results = Ok(RunRanks(2, g =>
        {
            using var w = Tensor.FromArray(new float[] { 1, 1, 1 }, [3]);
            using var unused = Tensor.FromArray(new float[] { 5 }, [1]);
            w.RequiresGrad = true;
            unused.RequiresGrad = true;
            using (var scope = TensorScope.Begin()) w.Mul((float)(g.Rank + 1)).Sum().Backward(); // grad = rank + 1
            g.AllReduceGradients(new ParameterList([w, unused]), average: true);
            using var grad = w.Grad!;
            return (grad.ToArray<float>(), g.LastGradientElements, unused.Grad is null);
        }));
        foreach (var (grad, elements, unusedHasNone) in results)
        {
            Assert.Equal(new float[] { 1.5f, 1.5f, 1.5f }, grad);
            Assert.Equal(3, elements);
            Assert.True(unusedHasNone);
        }
    }

    [Fact]
    public void BroadcastAndAllGatherAndBarrier()
    {
        var results = Ok(RunRanks(2, g =>
        {
            using var t = Tensor.FromArray(new double[] { g.Rank, g.Rank * 2 }, [2]);
            g.Broadcast([t], root: 1);
            using var mine = Tensor.FromArray(new long[] { 7 + g.Rank }, [1]);
            using var all = g.AllGather(mine);
            g.Barrier("test");
            return (t.ToArray<double>(), all.Shape, all.ToArray<long>());
        }));
        foreach (var (broadcast, shape, gathered) in results)
        {
            Assert.Equal(new double[] { 1, 2 }, broadcast);
            Assert.Equal(new long[] { 2, 1 }, shape);
            Assert.Equal(new long[] { 7, 8 }, gathered);
        }
    }

    [Fact]
    public void AHungRankMakesTheOtherFailWithinTheTimeoutNamingItAndTheOperation()
    {
        var clock = Stopwatch.StartNew();
        var results = RunRanks(2, g =>
        {
            using var t = Tensor.Ones([4]);
            g.AllReduce([t], label: "warm-up");
            if (g.Rank == 1) { Thread.Sleep(4000); return 0; } // hangs: never reaches the second all-reduce
            g.AllReduce([t], label: "step 1");
            return 1;
        }, timeoutSeconds: 2);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        var error = Assert.IsType<TorchException>(results[0].Error);
        Assert.Contains("all-reduce #2 (step 1) failed on rank 0", error.Message);
        Assert.Contains("rank 1 (last at #1) did not reach it", error.Message);
    }

    [Fact]
    public void PortInUseAndUnreachableMasterGiveClearErrors()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var inUse = Assert.Throws<TorchException>(() => ProcessGroup.Create("127.0.0.1", port, 0, 2, TimeSpan.FromSeconds(2)));
        Assert.Contains($"MASTER_PORT {port} on 127.0.0.1 is already in use", inUse.Message);
        blocker.Stop();

        var clock = Stopwatch.StartNew();
        var unreachable = Assert.Throws<TorchException>(() => ProcessGroup.Create("127.0.0.1", LaunchSettings.FreeLoopbackPort(), 1, 2, TimeSpan.FromSeconds(2)));
        Assert.Contains("rank 1 could not reach the master at 127.0.0.1:", unreachable.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"took {clock.Elapsed}");
    }

    [Fact]
    public void LaunchSettingsFollowTorchrunsVariablesAndRejectBadValues()
    {
        var env = new Dictionary<string, string> { ["RANK"] = "1", ["WORLD_SIZE"] = "4", ["MASTER_ADDR"] = "10.0.0.5", ["MASTER_PORT"] = "1234" };
        var s = LaunchSettings.Resolve(environment: k => env.GetValueOrDefault(k));
        Assert.Equal(new LaunchSettings(1, 4, "10.0.0.5", 1234, LaunchSettings.DefaultTimeout), s);
        Assert.Equal(2, LaunchSettings.Resolve(rank: 2, environment: k => env.GetValueOrDefault(k)).Rank); // options override
        Assert.False(LaunchSettings.Resolve(environment: _ => null).IsDistributed);
        Assert.Contains("RANK 4 is outside 0..3", Assert.Throws<ArgumentException>(() => LaunchSettings.Resolve(rank: 4, environment: k => env.GetValueOrDefault(k))).Message);
        env["WORLD_SIZE"] = "two";
        Assert.Contains("WORLD_SIZE='two'", Assert.Throws<ArgumentException>(() => LaunchSettings.Resolve(environment: k => env.GetValueOrDefault(k))).Message);
    }
}
