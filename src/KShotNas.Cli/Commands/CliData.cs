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

    public static DataSource Source(ParseResult p) => DataSource.Resolve(p.GetValue(Option));

    /// <summary>Throws unless <paramref name="space"/>'s networks take the data's images and classes.</summary>
    public static void CheckSpace(SearchSpace space, ImageDataset data, DataSource source)
    {
        var (c, h, w, classes) = space.InputShape;
        var shape = data.ImageShape;
        if (c != shape[0] || h != shape[1] || w != shape[2] || classes != data.Classes)
            throw new ArgumentException($"Space {SpaceCatalog.Describe(space)} takes {c}x{h}x{w} inputs and {classes} classes; {source.Description} has "
                                        + $"{string.Join("x", shape)} images and {data.Classes} classes (use e.g. --space nb201:C=8,N=1,in={shape[0]},size={shape[1]},classes={data.Classes}).");
    }
}
