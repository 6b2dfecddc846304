using System.CommandLine;
using KShotNas.Data;
using KShotNas.MLNet;
using KShotNas.Spaces;

namespace KShotNas.Cli.Commands;

/// <summary>The global <c>--data DIR</c> option every command takes, and the data it names.</summary>
internal static class CliData
{
    public static Option<string?> Option { get; } = new("--data", "--data-dir")
    {
        Description = "Images to use: an image folder (train/ and test/ with one subfolder per class, or class subfolders), "
                      + $"or an IDX folder; default the installed Fashion-MNIST ({FashionMnist.DefaultDirectory} or $KSHOTNAS_FASHION_MNIST).",
        Recursive = true,
    };

    public static Option<int?> ImageSize { get; } = new("--image-size")
    {
        Description = "Side of the square input an image folder is brought to: each image is scaled (aspect kept) until its shorter side is N, "
                      + "then centre-cropped (default: the shorter side of the folder's most common size; a given space's size where the command has one).",
        Recursive = true,
    };

    public static Option<bool> SkipBadImages { get; } = new("--skip-bad-images")
    {
        Description = "Leave unreadable image files out (listed in the log and report) instead of refusing the folder.",
        Recursive = true,
    };

    /// <summary>
    /// The data of --data; a command that knows its space first passes it, so an image folder is brought to the space's
    /// channels and size (--image-size still wins, and CheckSpace then names the mismatch).
    /// </summary>
    public static DataSource Source(ParseResult p, SearchSpace? space = null)
    {
        var size = CliChecks.AtLeast("--image-size", p.GetValue(ImageSize), 1);
        if (size > 4096) throw new Reliability.InvalidOptionException("--image-size", $"{size} is over 4096; the networks take small images.");
        var options = new ImageFolderOptions
        {
            Size = size ?? space?.InputShape.Height, Channels = space?.InputShape.Channels is 1 or 3 ? space.InputShape.Channels : null,
            SkipBadImages = p.GetValue(SkipBadImages),
        };
        return DataSource.Resolve(p.GetValue(Option), options with { Log = line => Console.Error.WriteLine($"kshotnas: {line}") });
    }

    /// <summary>Throws unless <paramref name="space"/>'s networks take the data's images and classes.</summary>
    public static void CheckSpace(SearchSpace space, ImageDataset data, DataSource source) =>
        SpaceFit.Check(space, data.ImageShape, data.Classes, source.Description,
            $"use e.g. --space nb201:C=8,N=1,in={data.ImageShape[0]},size={data.ImageShape[1]},classes={data.Classes}");
}
