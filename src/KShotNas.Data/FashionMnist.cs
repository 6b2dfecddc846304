using KShotNas.Torch;

namespace KShotNas.Data;

/// <summary>Which half of a data set.</summary>
public enum DataSplit
{
    /// <summary>The 60,000 training images.</summary>
    Train,
    /// <summary>The 10,000 test images.</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST from its IDX gzip files (Debian's dataset-fashion-mnist installs them at
/// <see cref="DefaultDirectory"/>). Images become float32 [N, 1, 28, 28], normalized with the training set's
/// mean and standard deviation.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's package puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Mean pixel value of the training set (on the 0..1 scale).</summary>
    public const float Mean = 0.2860f;

    /// <summary>Pixel standard deviation of the training set (on the 0..1 scale).</summary>
    public const float Std = 0.3530f;

    /// <summary>Class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The directory to read: <c>KSHOTNAS_FASHION_MNIST</c> when set, else <see cref="DefaultDirectory"/>.</summary>
    public static string ResolveDirectory(string? directory = null) =>
        directory ?? Environment.GetEnvironmentVariable("KSHOTNAS_FASHION_MNIST") ?? DefaultDirectory;

    /// <summary>Loads one split; missing, truncated or corrupt files raise <see cref="DataFormatException"/> naming the file.</summary>
    public static ImageDataset Load(DataSplit split, string? directory = null, bool normalize = true)
    {
        var dir = ResolveDirectory(directory);
        var prefix = split == DataSplit.Train ? "train" : "t10k";
        var imagePath = Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz");
        var labelPath = Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz");
        var images = IdxReader.ReadUnsignedBytes(imagePath, 3);
        var labels = IdxReader.ReadUnsignedBytes(labelPath, 1);
        var n = images.Dimensions[0];
        if (labels.Dimensions[0] != n)
            throw new DataFormatException(labelPath, $"{labels.Dimensions[0]} labels for {n} images in {imagePath}");
        int h = images.Dimensions[1], w = images.Dimensions[2];
        var pixels = new float[images.Data.Length];
        float scale = normalize ? 1f / (255f * Std) : 1f / 255f, shift = normalize ? Mean / Std : 0f;
        for (var i = 0; i < pixels.Length; i++) pixels[i] = images.Data[i] * scale - shift;
        var label64 = new long[n];
        for (var i = 0; i < n; i++)
        {
            label64[i] = labels.Data[i];
            if (label64[i] > 9) throw new DataFormatException(labelPath, $"label {label64[i]} at index {i} is not a class 0..9");
        }
        using var scope = TensorScope.Begin();
        return new ImageDataset(Tensor.FromSpan<float>(pixels, [n, 1, h, w]), Tensor.FromSpan<long>(label64, [n]), 10);
    }
}
