using KShotNas.Tests.Shared;
using System.Diagnostics;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;

namespace KShotNas.Torch.Tests;

public class LifetimeTests
{
    public LifetimeTests() => TestSupport.Init();

    [Fact]
    public void ScopeFreesWhatItOwnsAndKeepsWhatIsMovedOut()
    {
        var before = NativeTensors.Settled();
        Tensor kept, detached, inner;
        using (var outer = TensorScope.Begin())
        {
            using (TensorScope.Begin())
            {
                var a = Tensor.Ones([2]);
                var b = a + a;
                inner = (b * 3).MoveToOuterScope();
                detached = (b * 4).DetachFromScope();
                Assert.Equal(before + 4, TorchRuntime.LiveNativeTensors);
            }
            Assert.False(inner.IsDisposed);
            Assert.Equal(6, inner.ToArray<float>()[0]);
            Assert.Equal(1, outer.Count);
            kept = inner;
        }
        Assert.True(kept.IsDisposed);
        Assert.False(detached.IsDisposed);
        Assert.Equal(before + 1, TorchRuntime.LiveNativeTensors);
        detached.Dispose();
        Assert.Equal(before, TorchRuntime.LiveNativeTensors);
    }

    [Fact]
    public void ScopesMustCloseInOrder()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
        Assert.Null(TensorScope.Current);
    }

    /// <summary>2,000 SGD steps of a small CNN: the live-tensor count returns to baseline and RSS grows by under 50 MB.</summary>
    [Fact]
    public void TwoThousandTrainingStepsLeakNoTensorsOrMemory()
    {
        TorchRuntime.ManualSeed(1);
        using var x = Tensor.Randn([16, 1, 12, 12]);
        using var y = Tensor.RandInt(0, 10, [16]);
        var baseline = NativeTensors.Settled();
        var managedBaseline = Tensor.LiveManagedCount;
        long rssAfterWarmup = 0;
        using (var net = new Sequential(new Conv2d(1, 8, 3, padding: 1), new BatchNorm2d(8), Layers.ReLU(), Layers.MaxPool2d(2),
                   Layers.Flatten(), new Linear(8 * 36, 10)))
        using (var sgd = new Sgd(net.Parameters(), new SgdOptions { LearningRate = 0.01, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 }))
        {
            var parameters = new ParameterList(net.Parameters());
            for (var step = 0; step < 2000; step++)
            {
                using var scope = TensorScope.Begin();
                var loss = Functional.CrossEntropy(net.Forward(x), y);
                sgd.ZeroGrad();
                loss.Backward();
                Gradients.ClipByGlobalNorm(parameters, 5);
                sgd.Step();
                _ = loss.ToDouble();
                if (step == 200) rssAfterWarmup = ResidentBytes();
            }
            using var grad = net.Parameters()[0].Grad;
            Assert.NotNull(grad);
        }
        Assert.Equal(baseline, TorchRuntime.LiveNativeTensors);
        Assert.Equal(managedBaseline, Tensor.LiveManagedCount);
        var growth = ResidentBytes() - rssAfterWarmup;
        Assert.True(growth < 50L << 20, $"resident memory grew by {growth >> 20} MB");
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}

public class CpuCacheTests
{
    public CpuCacheTests() => TestSupport.Init();

    [Fact]
    public void TheCachingAllocatorReusesFreedBlocksAndCountsBytes()
    {
        TorchRuntime.ConfigureCpuCache(true, 64L << 20);
        try
        {
            var start = TorchRuntime.CpuMemory;
            for (var i = 0; i < 3; i++)
            {
                using var scope = TensorScope.Begin();
                var t = Tensor.Full([1024, 1024], i); // 4 MiB
                Assert.Equal(i * 1024f * 1024, t.Sum().ToDouble(), 1);
                Assert.True(TorchRuntime.CpuMemory.InUse >= start.InUse + (4 << 20));
            }
            var after = TorchRuntime.CpuMemory;
            Assert.True(after.Hits >= start.Hits + 2, $"hits {start.Hits} -> {after.Hits}");
            Assert.True(after.Cached >= 4 << 20);
            Assert.True(after.Peak >= start.InUse + (4 << 20));
        }
        finally
        {
            TorchRuntime.ConfigureCpuCache(false);
        }
        Assert.Equal(0, TorchRuntime.CpuMemory.Cached);
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.ConfigureCpuCache(true, -1));
    }
}
