using KShotNas.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet;

/// <summary>How an image folder's files become the network's input (the CLI's <c>--image-size</c>, <c>--skip-bad-images</c>).</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Side of the square input (null: the shorter side of the most common image size in the folder).</summary>
    public int? Size { get; init; }
    /// <summary>Channels of the input, 1 (grey) or 3 (RGB); null: grey when at least half the images are grey, else RGB.</summary>
    public int? Channels { get; init; }
    /// <summary>Leave unreadable files out (listed in <see cref="DataSource.Skipped"/>) instead of refusing the folder.</summary>
    public bool SkipBadImages { get; init; }
    /// <summary>Receives the resize rule and the skipped files when the folder's files are checked (a log line each).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// Where a command's images come from (the CLI's <c>--data DIR</c>): nothing given -> the Fashion-MNIST that set-up
/// installs; an IDX folder (Fashion-MNIST's file names); or an image folder: DIR/train and DIR/test each holding one
/// subfolder per class, or DIR holding the class subfolders itself (then a seeded fifth of each class is the test split).
/// Image folders may mix sizes and colour modes: every image is brought to one square input (see <see cref="ImageRule"/>).
/// The folder's layout and the input shape are settled when resolved (from up to <see cref="ShapeSample"/> images spread
/// over the folder); every file is decoded and checked (<see cref="ImageFolder.Check"/>) before the first split is read.
/// </summary>
public sealed class DataSource
{
    /// <summary>Images sampled evenly over an image folder to choose the default input size and channels.</summary>
    public const int ShapeSample = 200;
    private const int TestShareSeed = 2021;
    private readonly string? _idx;
    private readonly string? _trainFolder;
    private readonly string? _testFolder;
    private readonly ImageFolderOptions _options;
    private readonly IReadOnlyList<(string Path, string Label)> _files = [];
    private Normalization? _trainStatistics;
    private ImageFolderScan? _scan;
    private HashSet<string>? _skip;

    private DataSource(string description, string? idx, string? trainFolder, string? testFolder, int imageSize, int channels, ImageFolderOptions options)
    {
        Description = description;
        _idx = idx;
        _trainFolder = trainFolder;
        _testFolder = testFolder;
        ImageSize = imageSize;
        Channels = channels;
        _options = options;
    }

    private DataSource(string description, string trainFolder, string? testFolder, int imageSize, int channels, ImageFolderOptions options,
        IReadOnlyList<(string, string)> files, string rule) : this(description, null, trainFolder, testFolder, imageSize, channels, options)
    {
        _files = files;
        ImageRule = rule;
    }

    /// <summary>Where the data came from, for logs and reports.</summary>
    public string Description { get; }

    /// <summary>Side of the (square) network input.</summary>
    public int ImageSize { get; }

    /// <summary>Channels of the network input (1 grey, 3 RGB).</summary>
    public int Channels { get; }

    /// <summary>True for an image folder (as opposed to IDX files).</summary>
    public bool IsImageFolder => _trainFolder is not null;

    /// <summary>How an image folder's files are brought to the input, in words (null for IDX data); after a load it also counts the sizes met.</summary>
    public string? ImageRule { get; private set; }

    /// <summary>Unreadable files left out (with <see cref="ImageFolderOptions.SkipBadImages"/>); empty until the folder is checked.</summary>
    public IReadOnlyList<BadImageFile> Skipped => _scan?.Bad ?? [];

    /// <summary>Resolves <paramref name="path"/> (null: the installed Fashion-MNIST); throws naming what is wrong with it.</summary>
    public static DataSource Resolve(string? path, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (options.Size is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(options), options.Size, "The image size must be 1..4096.");
        if (options.Channels is not (null or 1 or 3)) throw new ArgumentOutOfRangeException(nameof(options), options.Channels, "Channels must be 1 or 3.");
        if (path is null)
        {
            var dir = FashionMnist.ResolveDirectory();
            return new DataSource($"Fashion-MNIST ({dir})", dir, null, null, 28, 1, options);
        }
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"--data {path}: no such folder.");
        if (ImageData.IsIdxFolder(path)) return new DataSource($"IDX folder {path}", path, null, null, 28, 1, options);
        string train = Path.Combine(path, "train"), test = Path.Combine(path, "test");
        var split = Directory.Exists(train) && Directory.Exists(test);
        var files = ImageData.ListFolder(split ? train : path);
        var all = split ? files.Concat(ImageData.ListFolder(test)).ToList() : files;
        var (size, channels, rule) = ChooseShape(path, all, options);
        return new DataSource($"image folder {path} ({size}x{size} {(channels == 1 ? "grey" : "RGB")})", split ? train : path, split ? test : null, size, channels, options, all, rule);
    }

    // The default input follows the folder's majority, judged on an even sample so resolving stays cheap on big folders.
    private static (int Size, int Channels, string Rule) ChooseShape(string path, IReadOnlyList<(string Path, string Label)> files, ImageFolderOptions o)
    {
        List<ImageFileInfo> sample = [];
        if (o.Size is null || o.Channels is null)
        {
            var step = Math.Max(1, files.Count / ShapeSample);
            // Only the majority mode needs pixels (equal channels); a size alone is in the header.
            for (var i = 0; i < files.Count && sample.Count < ShapeSample; i += step)
                if (ImageFolder.Inspect(files[i].Path, files[i].Label, headerOnly: o.Channels is not null).Image is { } image) sample.Add(image);
            if (sample.Count == 0) // every sampled file is bad: the full check names them all, or finds the good ones
            {
                var scan = ImageFolder.Check(files);
                if (!o.SkipBadImages || scan.Images.Count == 0)
                    scan.ThrowIfBad(o.SkipBadImages ? "No readable image is left." : "Fix or remove them, or skip them (--skip-bad-images).");
                sample = scan.Images.ToList();
            }
        }
        var shorter = o.Size ?? sample.GroupBy(i => (i.Width, i.Height)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => Math.Min(g.Key.Width, g.Key.Height)).First();
        // The space made for the data (NAS-Bench-201) halves the side twice: a chosen side is a multiple of 4.
        var size = o.Size ?? Math.Max(DefaultSizeMultiple, shorter / DefaultSizeMultiple * DefaultSizeMultiple);
        var channels = o.Channels ?? (2 * sample.Count(i => i.Grayscale) >= sample.Count ? 1 : 3);
        var sizeWhy = o.Size is not null ? "as asked"
            : size == shorter ? "the shorter side of the most common image size"
            : $"the shorter side of the most common image size, {shorter}, to a multiple of {DefaultSizeMultiple} for the default space";
        var modeWhy = o.Channels is null ? (channels == 1 ? "at least half the images are grey" : "most images are in colour") : "as the space takes";
        var rule = $"every image is scaled (aspect kept) until its shorter side is {size}, then centre-cropped to {size}x{size} ({sizeWhy}); "
                   + (channels == 1 ? "colour images are converted to grey" : "grey images are repeated into R, G and B") + $" ({modeWhy})";
        return (size, channels, rule);
    }

    /// <summary>What a side chosen from the images is a multiple of: the default space (NAS-Bench-201) halves it twice.</summary>
    public const int DefaultSizeMultiple = 4;

    /// <summary>One split as raw pixels (Features [C, H, W] 0-255, Label text) for an ML.NET pipeline.</summary>
    public IDataView LoadView(MLContext ml, DataSplit split, int? count = null)
    {
        if (_idx is not null) return ImageData.FromIdx(ml, _idx, split, count);
        CheckFiles();
        var files = FolderSplit(split);
        if (count is { } n) files = files.Take(n).ToList();
        if (files.Count == 0) throw new InvalidDataException($"{Description}: no readable images in the {split.ToString().ToLowerInvariant()} split.");
        return ImageData.FromFiles(ml, files, ImageSize, Channels == 1, convertColor: Channels == 1 && _scan!.GrayscaleCount < _scan.Images.Count);
    }

    /// <summary>
    /// Decodes every file of the folder once (first load): unreadable files are refused together, each named, or left out
    /// with <see cref="ImageFolderOptions.SkipBadImages"/>.
    /// </summary>
    public ImageFolderScan CheckFiles()
    {
        if (_idx is not null) return new ImageFolderScan([], []);
        if (_scan is not null) return _scan;
        var scan = ImageFolder.Check(_files);
        if (!_options.SkipBadImages) scan.ThrowIfBad("Fix or remove them, or skip them (--skip-bad-images).");
        if (scan.Images.Count == 0) scan.ThrowIfBad("No readable image is left.");
        _skip = scan.Bad.Select(b => b.Path).ToHashSet();
        ImageRule += $"; sizes in the folder: {scan.Sizes}; {scan.GrayscaleCount} grey, {scan.Images.Count - scan.GrayscaleCount} colour"
                     + (scan.Bad.Count > 0 ? $"; {scan.Bad.Count} unreadable file(s) skipped" : "");
        _options.Log?.Invoke($"{Description}: {ImageRule}");
        if (scan.Bad.Count > 0) _options.Log?.Invoke($"skipped {scan.Bad.Count} unreadable image file(s): {ImageFolder.Describe(scan.Bad)}");
        return _scan = scan;
    }

    /// <summary>The number of classes a split (its first <paramref name="count"/> images) holds; reads only labels or file names.</summary>
    public int Classes(DataSplit split, int? count = null)
    {
        if (_idx is not null)
        {
            var labels = IdxReader.ReadUnsignedBytes(Path.Combine(_idx, $"{(split == DataSplit.Train ? "train" : "t10k")}-labels-idx1-ubyte.gz"), 1).Data;
            return labels.Take(count ?? labels.Length).Distinct().Count();
        }
        return FolderSplit(split).Take(count ?? int.MaxValue).Select(f => f.Label).Distinct().Count();
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
        // Skipped files leave before the split, so the test share stays a fifth of the usable images.
        var usable = _files.Where(f => _skip is null || !_skip.Contains(f.Path)).ToList();
        if (_testFolder is not null)
        {
            var folder = (split == DataSplit.Train ? _trainFolder! : _testFolder) + Path.DirectorySeparatorChar;
            return usable.Where(f => f.Path.StartsWith(folder, StringComparison.Ordinal)).ToList();
        }
        // One folder: a seeded fifth of each class is the test split, the rest trains.
        var result = new List<(string, string)>();
        foreach (var group in usable.GroupBy(f => f.Label))
        {
            var members = group.ToArray();
            var order = Shuffle.Permutation(members.Length, TestShareSeed);
            var nTest = Math.Max(1, members.Length / 5);
            result.AddRange(order.Select((j, i) => (j, i)).Where(x => (x.i < nTest) == (split == DataSplit.Test)).Select(x => members[x.j]));
        }
        return result;
    }
}
