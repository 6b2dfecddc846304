using KShotNas.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet;

/// <summary>
/// Where a command's images come from (the CLI's <c>--data DIR</c>): nothing given -> the Fashion-MNIST that set-up
/// installs; an IDX folder (Fashion-MNIST's file names); or an image folder: DIR/train and DIR/test each holding one
/// subfolder per class, or DIR holding the class subfolders itself (then a seeded fifth of each class is the test split).
/// Checked when resolved, before any training.
/// </summary>
public sealed class DataSource
{
    private const int TestShareSeed = 2021;
    private readonly string? _idx;
    private readonly string? _trainFolder;
    private readonly string? _testFolder;
    private Normalization? _trainStatistics;

    private DataSource(string description, string? idx, string? trainFolder, string? testFolder, int imageSize)
    {
        Description = description;
        _idx = idx;
        _trainFolder = trainFolder;
        _testFolder = testFolder;
        ImageSize = imageSize;
    }

    /// <summary>Where the data came from, for logs and reports.</summary>
    public string Description { get; }

    /// <summary>Side of the (square) images; image folders are resized to the first image's size.</summary>
    public int ImageSize { get; }

    /// <summary>True for an image folder (as opposed to IDX files).</summary>
    public bool IsImageFolder => _trainFolder is not null;

    /// <summary>Resolves <paramref name="path"/> (null: the installed Fashion-MNIST); throws naming what is wrong with it.</summary>
    public static DataSource Resolve(string? path)
    {
        if (path is null)
        {
            var dir = FashionMnist.ResolveDirectory();
            return new DataSource($"Fashion-MNIST ({dir})", dir, null, null, 28);
        }
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"--data {path}: no such folder.");
        if (ImageData.IsIdxFolder(path)) return new DataSource($"IDX folder {path}", path, null, null, 28);
        string train = Path.Combine(path, "train"), test = Path.Combine(path, "test");
        var split = Directory.Exists(train) && Directory.Exists(test);
        var first = ImageData.ListFolder(split ? train : path)[0].Path;
        int width, height;
        using (var image = MLImage.CreateFromFile(first)) (width, height) = (image.Width, image.Height);
        if (width != height)
            throw new InvalidDataException($"--data {path}: {first} is {width}x{height}; the search spaces take square images.");
        if (split) ImageData.ListFolder(test);
        return new DataSource($"image folder {path} ({width}x{height})", null, split ? train : path, split ? test : null, width);
    }

    /// <summary>One split as raw pixels (Features [C, H, W] 0-255, Label text) for an ML.NET pipeline.</summary>
    public IDataView LoadView(MLContext ml, DataSplit split, int? count = null)
    {
        if (_idx is not null) return ImageData.FromIdx(ml, _idx, split, count);
        var files = FolderSplit(split);
        if (count is { } n) files = files.Take(n).ToList();
        return ImageData.FromFiles(ml, files, ImageSize);
    }

    /// <summary>One split in memory for the engine's commands, normalized with the training split's per-channel statistics.</summary>
    public ImageDataset Load(DataSplit split)
    {
        if (_idx is not null) return FashionMnist.Load(split, _idx);
        var ml = new MLContext(0);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(LoadView(ml, DataSplit.Train));
        var view = keys.Transform(LoadView(ml, split));
        // The trainer's own schema check derives the image shape, classes and class names from the columns.
        var layout = InputSchema.Check(view.Schema, new KShotNasTrainer.Options());
        var (data, statistics, _) = RowReader.ReadAll(view, layout, split.ToString().ToLowerInvariant());
        _trainStatistics ??= split == DataSplit.Train ? statistics : RowReader.ReadAll(keys.Transform(LoadView(ml, DataSplit.Train)), layout, "training").Statistics;
        _trainStatistics.ApplyInPlace(data.Images);
        return data;
    }

    private List<(string Path, string Label)> FolderSplit(DataSplit split)
    {
        if (_testFolder is not null) return ImageData.ListFolder(split == DataSplit.Train ? _trainFolder! : _testFolder).ToList();
        // One folder: a seeded fifth of each class is the test split, the rest trains.
        var result = new List<(string, string)>();
        foreach (var group in ImageData.ListFolder(_trainFolder!).GroupBy(f => f.Label))
        {
            var members = group.ToArray();
            var order = Shuffle.Permutation(members.Length, TestShareSeed);
            var nTest = Math.Max(1, members.Length / 5);
            result.AddRange(order.Select((j, i) => (j, i)).Where(x => (x.i < nTest) == (split == DataSplit.Test)).Select(x => members[x.j]));
        }
        return result;
    }
}
