using KShotNas.Torch;
using KShotNas.Torch.Native;
using KShotNas.Torch.Nn;
using static KShotNas.Torch.Tests.TestSupport;

namespace KShotNas.Torch.Tests;

public class ErrorTests
{
    public ErrorTests() => Init();

    [Fact]
    public void ConvWithMismatchedChannelsRaisesTypedExceptionAndProcessCarriesOn()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Randn([1, 3, 8, 8]);
        var w = Tensor.Randn([4, 5, 3, 3]); // expects 5 input channels
        var e = Assert.Throws<TorchException>(() => Functional.Conv2d(x, w));
        Assert.Equal(NativeStatus.TorchError, e.Status);
        Assert.Contains("channels", e.Message);
        // the engine still works afterwards, on the same thread
        var ok = Functional.Conv2d(x, Tensor.Randn([4, 3, 3, 3]), padding: 1);
        Assert.Equal(new long[] { 1, 4, 8, 8 }, ok.Shape);
    }

    [Fact]
    public void ErrorMessagesAreKeptPerCall()
    {
        using var scope = TensorScope.Begin();
        var e1 = Assert.Throws<TorchException>(() => T([1, 2, 3], 3).Reshape(2, 2));
        var e2 = Assert.Throws<TorchException>(() => T([1, 2], 2).MatMul(T([1, 2, 3], 3)));
        Assert.Contains("shape", e1.Message);
        Assert.NotEqual(e1.Message, e2.Message);
    }

    [Fact]
    public void ShimRejectsBadArgumentsWithTypedErrors()
    {
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<TorchException>(() => Tensor.FromSpan<float>(new float[3], [2, 2]));
        Assert.Equal(NativeStatus.InvalidArgument, e.Status);
        Assert.Throws<ArgumentException>(() => T([1], 1).ToArray<long>());
        var t = T([1], 1);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Relu());
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2));
    }
}
