using KShotNas.Torch;

namespace KShotNas.Data;

/// <summary>
/// Labelled images held in memory as one float tensor [N, C, H, W] and one int64 label tensor [N].
/// Owns both tensors.
/// </summary>
public sealed class ImageDataset : IImageBatches, IDisposable
{
    /// <summary>Wraps tensors; takes ownership (they leave any scope).</summary>
    public ImageDataset(Tensor images, Tensor labels, int classes)
    {
        var n = images.Size(0);
        if (labels.Dim != 1 || labels.Size(0) != n)
            throw new ArgumentException($"Labels must be a vector of {n} entries, got [{string.Join(", ", labels.Shape)}].");
        Images = images.DetachFromScope();
        Labels = labels.DetachFromScope();
        Count = (int)n;
        Classes = classes;
    }

    /// <summary>Images [N, C, H, W].</summary>
    public Tensor Images { get; }
    /// <summary>Class labels [N].</summary>
    public Tensor Labels { get; }
    /// <summary>Number of samples.</summary>
    public int Count { get; }
    /// <summary>Number of classes.</summary>
    public int Classes { get; }
    /// <summary>Shape of one image [C, H, W].</summary>
    public long[] ImageShape => Images.Shape[1..];

    /// <summary>A new dataset holding the samples at <paramref name="indices"/> (copied).</summary>
    public ImageDataset Select(ReadOnlySpan<long> indices)
    {
        using var scope = TensorScope.Begin();
        using var index = Tensor.FromSpan(indices, [indices.Length]);
        return new ImageDataset(Images.IndexSelect(0, index), Labels.IndexSelect(0, index), Classes);
    }

    /// <summary>A new dataset holding <paramref name="first"/>'s samples followed by <paramref name="second"/>'s (copied).</summary>
    public static ImageDataset Concat(ImageDataset first, ImageDataset second)
    {
        if (!first.ImageShape.SequenceEqual(second.ImageShape) || first.Classes != second.Classes)
            throw new ArgumentException($"Cannot join {string.Join("x", first.ImageShape)} images of {first.Classes} classes with "
                                        + $"{string.Join("x", second.ImageShape)} images of {second.Classes} classes.");
        using var scope = TensorScope.Begin();
        return new ImageDataset(Tensor.Cat([first.Images, second.Images]), Tensor.Cat([first.Labels, second.Labels]), first.Classes);
    }

    /// <summary>The first <paramref name="count"/> samples of a seeded shuffle (a class-balanced subset in expectation).</summary>
    public ImageDataset Subset(int count, int seed)
    {
        if (count <= 0 || count > Count) throw new ArgumentOutOfRangeException(nameof(count), count, $"Subset size must be in 1..{Count}.");
        return Select(Shuffle.Permutation(Count, seed).AsSpan(0, count));
    }

    /// <summary>Splits into (train, validation) by a seeded shuffle; <paramref name="validationFraction"/> in (0, 1).</summary>
    public (ImageDataset Train, ImageDataset Validation) Split(double validationFraction, int seed)
    {
        if (validationFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Must be strictly between 0 and 1.");
        var perm = Shuffle.Permutation(Count, seed);
        var nVal = (int)Math.Round(Count * validationFraction);
        return (Select(perm.AsSpan(nVal)), Select(perm.AsSpan(0, nVal)));
    }

    /// <summary>
    /// Mini-batches (images, labels) covering the data once. With <paramref name="shuffleSeed"/> the order is a
    /// seeded permutation (pass e.g. seed + epoch for a new order per epoch). The caller owns each batch's tensors
    /// (or its scope does). <paramref name="startBatch"/> skips the first batches (resuming mid-epoch).
    /// </summary>
    public IEnumerable<(Tensor Images, Tensor Labels)> Batches(int batchSize, int? shuffleSeed = null, bool dropLast = false, int startBatch = 0)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be positive.");
        var order = shuffleSeed is { } s ? Shuffle.Permutation(Count, s) : null;
        for (var start = startBatch * batchSize; start < Count; start += batchSize)
        {
            var size = Math.Min(batchSize, Count - start);
            if (dropLast && size < batchSize) yield break;
            if (order is null)
            {
                yield return (Images.Narrow(0, start, size), Labels.Narrow(0, start, size));
                continue;
            }
            using var index = Tensor.FromSpan<long>(order.AsSpan(start, size), [size]);
            yield return (Images.IndexSelect(0, index), Labels.IndexSelect(0, index));
        }
    }

    /// <summary>Number of batches <see cref="Batches"/> yields.</summary>
    public int BatchCount(int batchSize, bool dropLast = false) => dropLast ? Count / batchSize : (Count + batchSize - 1) / batchSize;

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Seeded permutations, independent of libtorch's generator (so data order never depends on model init).</summary>
public static class Shuffle
{
    /// <summary>A Fisher-Yates permutation of 0..n-1 from <see cref="Random"/>(seed).</summary>
    public static long[] Permutation(int n, int seed)
    {
        var perm = new long[n];
        for (var i = 0; i < n; i++) perm[i] = i;
        var rng = new Random(seed);
        for (var i = n - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }
        return perm;
    }
}
