using KShotNas.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace KShotNas.MLNet;

/// <summary>
/// Labelled images as an IDataView with the columns the trainer takes: "Features" (raw pixels 0-255, a known-size
/// vector with dimensions [C, H, W]) and "Label" (the class name as text). From a folder of class subfolders of
/// image files (through ImageAnalytics' LoadImages -> ResizeImages -> ExtractPixels), or from an IDX folder in
/// Fashion-MNIST's layout.
/// </summary>
public static class ImageData
{
    /// <summary>File extensions read from an image folder.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>True when <paramref name="directory"/> holds Fashion-MNIST-style IDX files.</summary>
    public static bool IsIdxFolder(string directory) => File.Exists(Path.Combine(directory, "train-images-idx3-ubyte.gz"));

    /// <summary>
    /// The images of a folder with one subfolder per class, brought to <paramref name="size"/> x <paramref name="size"/>;
    /// <paramref name="grayscale"/> null decides from the first image (all channels equal: one channel).
    /// Check the files first with <see cref="ImageFolder.Check"/>: LoadImages names no file when one cannot be read.
    /// </summary>
    public static IDataView FromFolder(MLContext ml, string directory, int size, bool? grayscale = null) =>
        FromFiles(ml, ListFolder(directory), size, grayscale);

    /// <summary>
    /// The given (path, class) image files as a view through LoadImages -> ResizeImages -> [ConvertToGrayscale] ->
    /// ExtractPixels: every image is scaled with its aspect kept until its shorter side is <paramref name="size"/>, then
    /// centre-cropped to a square (ResizeImages' IsoCrop), so images of any size and mode give one input shape.
    /// <paramref name="grayscale"/> as in <see cref="FromFolder"/>; colour images are converted to grey when
    /// <paramref name="convertColor"/> (skip it only when every image is grey: the conversion may round).
    /// </summary>
    public static IDataView FromFiles(MLContext ml, IReadOnlyList<(string Path, string Label)> files, int size, bool? grayscale = null,
        bool convertColor = true)
    {
        if (files.Count == 0) throw new ArgumentException("No image files.", nameof(files));
        var gray = grayscale ?? ImageFolder.Inspect(files[0].Path).Image?.Grayscale ?? true;
        var rows = ml.Data.LoadFromEnumerable(files.Select(f => new ImageFile { ImagePath = f.Path, Label = f.Label }));
        IEstimator<ITransformer> resized = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageFile.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", size, size, resizing: ImageResizingEstimator.ResizingKind.IsoCrop,
                cropAnchor: ImageResizingEstimator.Anchor.Center));
        var pipeline = (gray && convertColor ? resized.Append(ml.Transforms.ConvertToGrayscale("Image")) : resized)
            .Append(ml.Transforms.ExtractPixels("Features", "Image",
                colorsToExtract: gray ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb))
            .Append(ml.Transforms.DropColumns("Image"));
        return pipeline.Fit(rows).Transform(rows);
    }

    /// <summary>(path, class) of every image file under the class subfolders, in a stable order; throws naming what is missing.</summary>
    public static IReadOnlyList<(string Path, string Label)> ListFolder(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Image folder not found: {directory}");
        var classes = Directory.GetDirectories(directory).OrderBy(d => d, StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
            throw new InvalidDataException($"{directory} has {classes.Count} class subfolder(s); an image folder needs one subfolder per class, at least two.");
        var files = classes.SelectMany(c => Directory.EnumerateFiles(c).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal).Select(f => (f, Path.GetFileName(c)))).ToList();
        if (files.Count == 0) throw new InvalidDataException($"{directory}: no image files ({string.Join(", ", ImageExtensions)}) in its class subfolders.");
        return files;
    }

    /// <summary>One split of an IDX folder (Fashion-MNIST's file names), at most <paramref name="count"/> images.</summary>
    public static IDataView FromIdx(MLContext ml, string? directory, DataSplit split, int? count = null)
    {
        using var data = FashionMnist.Load(split, directory, normalize: false);
        var n = Math.Min(count ?? data.Count, data.Count);
        var shape = data.ImageShape.Select(d => (int)d).ToArray();
        var size = shape[0] * shape[1] * shape[2];
        var pixels = data.Images.ToArray<float>();
        var labels = data.Labels.ToArray<long>();
        var names = data.Classes == FashionMnist.ClassNames.Count ? FashionMnist.ClassNames : Enumerable.Range(0, data.Classes).Select(i => i.ToString()).ToList();
        var rows = Enumerable.Range(0, n).Select(i => new PixelRow
        {
            Features = pixels.AsSpan(i * size, size).ToArray().Select(v => v * 255f).ToArray(),
            Label = names[(int)labels[i]],
        }).ToList();
        var definition = SchemaDefinition.Create(typeof(PixelRow));
        definition[nameof(PixelRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, shape);
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>
    /// Writes the first <paramref name="perClass"/> images of each class of an IDX split as PNG files into
    /// <paramref name="directory"/>/CLASS/NNNNN.png (grayscale stored as equal R, G and B); returns the count written.
    /// </summary>
    public static int ExportPng(string? idxDirectory, DataSplit split, string directory, int perClass)
    {
        if (perClass < 1) throw new ArgumentOutOfRangeException(nameof(perClass), perClass, "Export at least one image per class.");
        using var data = FashionMnist.Load(split, idxDirectory, normalize: false);
        var (h, w) = ((int)data.ImageShape[1], (int)data.ImageShape[2]);
        var pixels = data.Images.ToArray<float>();
        var labels = data.Labels.ToArray<long>();
        var written = new int[data.Classes];
        var bgra = new byte[h * w * 4];
        for (var i = 0; i < labels.Length && written.Any(c => c < perClass); i++)
        {
            var k = (int)labels[i];
            if (written[k] >= perClass) continue;
            for (var p = 0; p < h * w; p++)
            {
                var v = (byte)Math.Round(pixels[i * h * w + p] * 255f);
                bgra[4 * p] = bgra[4 * p + 1] = bgra[4 * p + 2] = v;
                bgra[4 * p + 3] = 255;
            }
            var folder = Path.Combine(directory, SafeName(FashionMnist.ClassNames[k]));
            Directory.CreateDirectory(folder);
            using var image = MLImage.CreateFromPixels(w, h, MLPixelFormat.Bgra32, bgra);
            image.Save(Path.Combine(folder, $"{i:D5}.png"));
            written[k]++;
        }
        return written.Sum();
    }

    /// <summary>A class name usable as a folder name ("T-shirt/top" -> "T-shirt_top").</summary>
    public static string SafeName(string name) => string.Concat(name.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    /// <summary>One image row (public for ML.NET's row mapping).</summary>
    public sealed class PixelRow
    {
        /// <summary>Raw pixels 0-255, C x H x W.</summary>
        public float[] Features { get; set; } = [];
        /// <summary>The class name.</summary>
        public string Label { get; set; } = "";
    }
}
