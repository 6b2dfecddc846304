using KShotNas.Torch;

namespace KShotNas.Torch.Tests;

internal static class TestSupport
{
    static TestSupport() => TorchRuntime.Threads = Math.Min(2, Environment.ProcessorCount);

    /// <summary>Touch from a test's constructor so the thread count is set before any work.</summary>
    public static void Init() { }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tol = 1e-9)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    public static Tensor T(float[] data, params long[] shape) => Tensor.FromArray(data, shape);
}
