using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Models;

/// <summary>
/// A small CNN baseline: two conv(3x3)-BN-ReLU-maxpool blocks and a linear classifier.
/// Used by the engine's main job, tests and the PyTorch comparison benchmark.
/// </summary>
public sealed class SmallCnn : Module
{
    private readonly Sequential _body;

    /// <summary>Creates the network for images of <paramref name="inChannels"/> x <paramref name="size"/> x <paramref name="size"/>.</summary>
    public SmallCnn(int inChannels = 1, int size = 28, int classes = 10, int width = 16)
    {
        if (size % 4 != 0) throw new ArgumentException($"Image size {size} must be divisible by 4 (two 2x2 poolings).");
        var flat = 2 * width * (size / 4) * (size / 4);
        _body = RegisterModule("body", new Sequential(
            new Conv2d(inChannels, width, 3, padding: 1, bias: false), new BatchNorm2d(width), Layers.ReLU(), Layers.MaxPool2d(2),
            new Conv2d(width, 2 * width, 3, padding: 1, bias: false), new BatchNorm2d(2 * width), Layers.ReLU(), Layers.MaxPool2d(2),
            Layers.Flatten(), new Linear(flat, classes)));
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => _body.Forward(input);
}
