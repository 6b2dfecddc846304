using KShotNas.Data;

namespace KShotNas.Training;

/// <summary>
/// The seeds' data protocol on Fashion-MNIST: the training set split in half by a fixed seed; one half trains
/// supernets, the other ranks paths. The test set stays untouched for final (retrained) accuracy.
/// </summary>
public static class NasData
{
    /// <summary>Seed of the half split (fixed, so every command sees the same halves).</summary>
    public const int SplitSeed = 2021;

    /// <summary>
    /// Loads the two halves; <paramref name="trainImages"/> / <paramref name="rankImages"/> take seeded subsets of them.
    /// </summary>
    public static (ImageDataset SupernetTrain, ImageDataset Ranking) Load(string? directory = null, int? trainImages = null, int? rankImages = null) =>
        Split(FashionMnist.Load(DataSplit.Train, directory), trainImages, rankImages);

    /// <summary>Splits a training set (taking ownership) into the two halves, with optional seeded subsets as in <see cref="Load"/>.</summary>
    public static (ImageDataset SupernetTrain, ImageDataset Ranking) Split(ImageDataset all, int? trainImages = null, int? rankImages = null)
    {
        using (all)
        {
            var (a, b) = all.Split(0.5, SplitSeed);
            return (Take(a, trainImages), Take(b, rankImages));
        }
    }

    /// <summary>Throws unless <paramref name="space"/>'s networks take Fashion-MNIST's 1x28x28 images and 10 classes.</summary>
    public static void CheckInputShape(KShotNas.Spaces.SearchSpace space)
    {
        var (c, h, w, classes) = space.InputShape;
        if (c != 1 || h != 28 || w != 28 || classes != 10)
            throw new ArgumentException($"Space {KShotNas.Spaces.SpaceCatalog.Describe(space)} takes {c}x{h}x{w} inputs and {classes} classes; "
                                        + "Fashion-MNIST has 1x28x28 images and 10 classes (e.g. use nb201:fashion-small or mobilenetv2:fashion-small).");
    }

    private static ImageDataset Take(ImageDataset d, int? n)
    {
        if (n is null || n >= d.Count) return d;
        using (d) return d.Subset(n.Value, SplitSeed);
    }
}
