using SkiaSharp;

namespace KShotNas.MLNet;

/// <summary>One image file that decoded completely: its size and whether it is grey (all colour channels equal).</summary>
/// <param name="Path">The file.</param>
/// <param name="Label">Its class (the subfolder's name).</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Grayscale">True when every pixel has equal red, green and blue.</param>
public sealed record ImageFileInfo(string Path, string Label, int Width, int Height, bool Grayscale);

/// <summary>A file of an image folder that cannot be used, and why.</summary>
/// <param name="Path">The file.</param>
/// <param name="Problem">What is wrong, in words ("empty file", "truncated or damaged", ...).</param>
public sealed record BadImageFile(string Path, string Problem);

/// <summary>Unreadable image files, each named; thrown before any training starts.</summary>
public sealed class BadImageException : IOException
{
    /// <summary>Creates the exception for <paramref name="files"/>; <paramref name="hint"/> says how to go on.</summary>
    public BadImageException(IReadOnlyList<BadImageFile> files, string hint)
        : base($"{files.Count} unreadable image file(s): {ImageFolder.Describe(files)}. {hint}") => Files = files;

    /// <summary>Every bad file.</summary>
    public IReadOnlyList<BadImageFile> Files { get; }
}

/// <summary>What <see cref="ImageFolder.Check"/> found: the usable images and the bad files.</summary>
/// <param name="Images">Files that decoded completely, in the order given.</param>
/// <param name="Bad">Files that did not, in the order given.</param>
public sealed record ImageFolderScan(IReadOnlyList<ImageFileInfo> Images, IReadOnlyList<BadImageFile> Bad)
{
    /// <summary>Images per size, most common first ("28x28: 950, 40x33: 50").</summary>
    public string Sizes => string.Join(", ", Images.GroupBy(i => (i.Width, i.Height)).OrderByDescending(g => g.Count())
        .ThenBy(g => g.Key).Select(g => $"{g.Key.Width}x{g.Key.Height}: {g.Count()}"));

    /// <summary>Number of grey images.</summary>
    public int GrayscaleCount => Images.Count(i => i.Grayscale);

    /// <summary>Throws <see cref="BadImageException"/> naming every bad file, with <paramref name="hint"/>; nothing when all are good.</summary>
    public ImageFolderScan ThrowIfBad(string hint = "Fix or remove them.")
    {
        if (Bad.Count > 0) throw new BadImageException(Bad, hint);
        return this;
    }
}

/// <summary>
/// Checks image files before an ML.NET pipeline reads them. ImageAnalytics' LoadImages fails inside the row cursor
/// ("Invalid path") without naming the file, and decodes truncated PNG/JPEG files partially without any error; so the
/// data sources check every file up front: each is decoded completely with SkiaSharp (the decoder behind MLImage),
/// and empty, truncated, damaged or non-image files are named together, before any training. Images over
/// <see cref="MaxPixels"/> are refused from their header, before their pixels are allocated.
/// </summary>
public static class ImageFolder
{
    /// <summary>Largest image accepted (pixels); a header claiming more is refused without decoding (64 megapixels).</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Decodes every file of <paramref name="files"/> completely and sorts them into usable images and bad files.</summary>
    public static ImageFolderScan Check(IReadOnlyList<(string Path, string Label)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var results = new (ImageFileInfo? Image, BadImageFile? Bad)[files.Count];
        // Decoding is independent per file; two workers at most keep a shared machine responsive.
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(2, Environment.ProcessorCount) }, i =>
        {
            var (path, label) = files[i];
            results[i] = Inspect(path, label);
        });
        return new ImageFolderScan(results.Where(r => r.Image is not null).Select(r => r.Image!).ToList(),
            results.Where(r => r.Bad is not null).Select(r => r.Bad!).ToList());
    }

    /// <summary>
    /// Checks one file: its size and mode, or what is wrong with it. Never throws for bad content. With
    /// <paramref name="headerOnly"/> only the header is read (fast; a truncated file passes, and grey means a grey
    /// colour type rather than equal channels).
    /// </summary>
    public static (ImageFileInfo? Image, BadImageFile? Bad) Inspect(string path, string label = "", bool headerOnly = false)
    {
        BadImageFile Bad(string problem) => new(path, problem);
        try
        {
            var length = new FileInfo(path).Length;
            if (length == 0) return (null, Bad("empty file"));
            using var stream = File.OpenRead(path);
            using var codec = SKCodec.Create(stream, out var opened);
            if (codec is null)
                return (null, Bad(opened is SKCodecResult.Unimplemented ? "not an image (unknown format)" : $"not a readable image ({Words(opened)})"));
            var (w, h) = (codec.Info.Width, codec.Info.Height);
            if (w <= 0 || h <= 0) return (null, Bad($"has no pixels ({w}x{h})"));
            if ((long)w * h > MaxPixels) return (null, Bad($"claims {w}x{h} pixels, over the {MaxPixels / 1048576} megapixel limit"));
            if (headerOnly) return (new ImageFileInfo(path, label, w, h, codec.Info.ColorType is SKColorType.Gray8), null);
            var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var pixels = new byte[info.BytesSize];
            SKCodecResult decoded;
            unsafe
            {
                fixed (byte* p = pixels) decoded = codec.GetPixels(info, (IntPtr)p);
            }
            if (decoded != SKCodecResult.Success) return (null, Bad($"{codec.EncodedFormat} {w}x{h}: {Words(decoded)}"));
            return (new ImageFileInfo(path, label, w, h, IsGray(pixels)), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException or ArgumentException)
        {
            return (null, Bad($"cannot be read: {e.Message}"));
        }
    }

    /// <summary>The files and their problems in one line (at most 20 named, then a count).</summary>
    public static string Describe(IReadOnlyList<BadImageFile> files)
    {
        const int shown = 20;
        var text = string.Join("; ", files.Take(shown).Select(f => $"{f.Path} ({f.Problem})"));
        return files.Count > shown ? $"{text}; and {files.Count - shown} more" : text;
    }

    private static string Words(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "truncated",
        SKCodecResult.ErrorInInput => "damaged data",
        SKCodecResult.InvalidInput => "invalid data",
        SKCodecResult.Unimplemented => "unsupported variant",
        _ => result.ToString(),
    };

    private static bool IsGray(byte[] rgba)
    {
        for (var i = 0; i + 2 < rgba.Length; i += 4)
            if (rgba[i] != rgba[i + 1] || rgba[i] != rgba[i + 2]) return false;
        return true;
    }
}
