using KShotNas.Torch;

namespace KShotNas.Training;

/// <summary>Random changes to each training batch of a retraining: small data overfits long runs without them.</summary>
public enum Augmentation
{
    /// <summary>The images as they are.</summary>
    None,
    /// <summary>A random shift of up to 2 pixels each way per batch (the border filled with the batch's darkest value per channel).</summary>
    Shift,
    /// <summary>The shift, and half of the images mirrored left to right (not for classes that mirroring turns into one another, such as digits).</summary>
    ShiftAndFlip,
}

/// <summary>Applies an <see cref="Augmentation"/> to a batch [N, C, H, W] with tensor operations (no per-image loop).</summary>
public static class BatchAugmentation
{
    private const int Pad = 2;

    /// <summary>The augmented batch (a new tensor in the current scope; <paramref name="x"/> itself when <paramref name="kind"/> is None).</summary>
    public static Tensor Apply(Tensor x, Augmentation kind, Random rng)
    {
        if (kind == Augmentation.None) return x;
        using var scope = TensorScope.Begin();
        var (n, c, h, w) = (x.Size(0), x.Size(1), x.Size(2), x.Size(3));
        // The darkest value per channel stands for the background (images are normalized, so zero is the mean pixel).
        var fill = x.Min([0, 2, 3], keepDim: true);
        var rows = Tensor.Zeros([n, c, Pad, w]).Add(fill);
        var tall = Tensor.Cat([rows, x, rows], 2);
        var cols = Tensor.Zeros([n, c, h + 2 * Pad, Pad]).Add(fill);
        var padded = Tensor.Cat([cols, tall, cols], 3);
        var y = padded.Narrow(2, rng.Next(2 * Pad + 1), h).Narrow(3, rng.Next(2 * Pad + 1), w);
        if (kind == Augmentation.ShiftAndFlip)
        {
            var reversed = Tensor.FromArray(Enumerable.Range(0, (int)w).Select(i => w - 1 - i).ToArray());
            var mirrored = y.IndexSelect(3, reversed);
            var mask = Tensor.FromArray(Enumerable.Range(0, (int)n).Select(_ => rng.Next(2) == 1).ToArray(), n, 1, 1, 1);
            y = mask.Where(mirrored, y);
        }
        return y.MoveToOuterScope();
    }
}
