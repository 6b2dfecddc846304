using KShotNas.Data;
using KShotNas.Spaces;
using KShotNas.Torch;

namespace KShotNas.Core.Tests;

/// <summary>Small, fast inputs shared by the supernet tests.</summary>
internal static class TestData
{
    /// <summary>A tiny NB201 skeleton: C=4, N=1, 1x8x8 inputs, 10 classes.</summary>
    public static readonly Nb201Space Tiny = new(new Nb201Options(C: 4, N: 1, InputChannels: 1, InputSize: 8, Classes: 10));

    /// <summary>Random images and labels from libtorch's generator seeded with <paramref name="seed"/>.</summary>
    public static ImageDataset Synthetic(int n, ulong seed, int channels = 1, int size = 8)
    {
        TorchRuntime.ManualSeed(seed);
        using var scope = TensorScope.Begin();
        return new ImageDataset(Tensor.Randn([n, channels, size, size]), Tensor.RandInt(0, 10, [n]), 10);
    }
}
