using KShotNas.Torch;
using static KShotNas.Torch.Tests.TestSupport;

namespace KShotNas.Torch.Tests;

public class TensorTests
{
    public TensorTests() => Init();

    [Fact]
    public void LoadsTheShimOfTheExpectedAbiAndLibTorch()
    {
        Assert.Equal(9, TorchRuntime.AbiVersion);
        Assert.StartsWith("1.13", TorchRuntime.LibTorchVersion);
        Assert.False(TorchRuntime.CudaAvailable);
    }

    [Fact]
    public void ThreadCountIsSettable()
    {
        TorchRuntime.Threads = 1;
        Assert.Equal(1, TorchRuntime.Threads);
        TorchRuntime.Threads = 2;
        Assert.Equal(2, TorchRuntime.Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Threads = 0);
    }

    [Fact]
    public void RoundTripsEveryDType()
    {
        using var f = Tensor.FromArray(new[] { 1.5f, -2f, 3f, 4f }, 2, 2);
        Assert.Equal(new long[] { 2, 2 }, f.Shape);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal(new[] { 1.5f, -2f, 3f, 4f }, f.ToArray<float>());
        using var d = Tensor.FromArray(new[] { 1e-300, 2.5 });
        Assert.Equal(new[] { 1e-300, 2.5 }, d.ToArray<double>());
        using var l = Tensor.FromArray(new[] { long.MaxValue, -7L });
        Assert.Equal(new[] { long.MaxValue, -7L }, l.ToArray<long>());
        using var b = Tensor.FromArray(new[] { true, false, true });
        Assert.Equal(DType.Bool, b.DType);
        Assert.Equal(new[] { true, false, true }, b.ToArray<bool>());
        Assert.Equal(Device.Cpu, f.Device);
    }

    [Fact]
    public void ElementWiseArithmeticHasKnownValues()
    {
        using var scope = TensorScope.Begin();
        var a = T([1, 2, 3, 4], 2, 2);
        var b = T([10, 20, 30, 40], 2, 2);
        Close([11, 22, 33, 44], (a + b).ToArray<float>());
        Close([9, 18, 27, 36], (b - a).ToArray<float>());
        Close([10, 40, 90, 160], (a * b).ToArray<float>());
        Close([10, 10, 10, 10], (b / a).ToArray<float>());
        Close([3, 5, 7, 9], (a * 2 + 1).ToArray<float>());
        Close([0, 0, 3, 6], T([-1, 0, 3, 7], 4).Relu6().ToArray<float>());
        Close([0, 0, 3, 7], T([-1, 0, 3, 7], 4).Relu().ToArray<float>());
        // broadcasting a row over a matrix
        Close([11, 22, 13, 24], (a + T([10, 20], 2)).ToArray<float>());
        // [[1,2],[3,4]] @ [[1],[1]] = [[3],[7]]
        Close([3, 7], a.MatMul(T([1, 1], 2, 1)).ToArray<float>());
    }

    [Fact]
    public void ReductionsAndComparisonsHaveKnownValues()
    {
        using var scope = TensorScope.Begin();
        var a = T([1, 5, 3, 2, 8, 0], 2, 3);
        Assert.Equal(19, a.Sum().ToDouble());
        Close([9, 10], a.Sum([1]).ToArray<float>());
        Close([1.5f, 6.5f, 1.5f], a.Mean([0]).ToArray<float>());
        Assert.Equal(19 / 6.0, a.Mean().ToDouble(), 5);
        Assert.Equal(new long[] { 1, 1 }, a.ArgMax(1).ToArray<long>());
        Assert.Equal(new[] { false, true, false, false, true, false }, a.Gt(3).ToArray<bool>());
        Assert.Equal(new[] { true, false, false, false, false, true }, a.Eq(T([1, 0, 0, 0, 0, 0], 2, 3)).ToArray<bool>());
        Assert.Equal(8, a.Max().ToDouble());
        Assert.Equal(0, a.Min().ToDouble());
    }

    [Fact]
    public void ShapeOperationsMoveTheRightElements()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Arange(24, DType.Float32).Reshape(1, 4, 2, 3); // 4 channels of 2x3
        var channels = x.Narrow(1, 1, 2);
        Assert.Equal(new long[] { 1, 2, 2, 3 }, channels.Shape);
        Close([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], channels.Contiguous().ToArray<float>());
        Assert.Equal(new long[] { 1, 24 }, x.Flatten(1).Shape);
        var cat = Tensor.Cat([T([1, 2], 1, 2), T([3, 4, 5], 1, 3)], 1);
        Close([1, 2, 3, 4, 5], cat.ToArray<float>());
        var stacked = Tensor.Stack([T([1, 2], 2), T([3, 4], 2)]);
        Assert.Equal(new long[] { 2, 2 }, stacked.Shape);
        var picked = T([10, 11, 12, 13], 4, 1).IndexSelect(0, Tensor.FromArray(new long[] { 3, 0 }));
        Close([13, 10], picked.ToArray<float>());
        Close([1, 3, 2, 4], T([1, 2, 3, 4], 2, 2).Permute(1, 0).Contiguous().ToArray<float>());
    }

    [Fact]
    public void InPlaceOperationsChangeTheTensor()
    {
        using var scope = TensorScope.Begin();
        var a = T([1, 2, 3], 3);
        a.AddInPlace(T([1, 1, 1], 3), alpha: 2).MulInPlace(10);
        Close([30, 40, 50], a.ToArray<float>());
        a.Fill(7);
        Close([7, 7, 7], a.ToArray<float>());
        a.Zero();
        Close([0, 0, 0], a.ToArray<float>());
        a.CopyFrom(T([4, 5, 6], 3));
        Close([4, 5, 6], a.ToArray<float>());
    }

    [Fact]
    public void SeededRandomnessRepeatsAndStateRestores()
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(42);
        var first = Tensor.Randn([5]).ToArray<float>();
        TorchRuntime.ManualSeed(42);
        Assert.Equal(first, Tensor.Randn([5]).ToArray<float>());
        var state = TorchRuntime.GetRngState();
        var next = Tensor.Rand([5]).ToArray<float>();
        TorchRuntime.SetRngState(state);
        Assert.Equal(next, Tensor.Rand([5]).ToArray<float>());
    }
}
