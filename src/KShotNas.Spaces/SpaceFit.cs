namespace KShotNas.Spaces;

/// <summary>The one check that a space's networks take the data: its image shape and class count.</summary>
public static class SpaceFit
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="space"/> takes <paramref name="imageShape"/> ([C, H, W])
    /// images and <paramref name="classes"/> classes. <paramref name="data"/> names the data in the message and
    /// <paramref name="hint"/> (optional) says how to fix it where the caller knows (the CLI names --space).
    /// </summary>
    public static void Check(SearchSpace space, IReadOnlyList<long> imageShape, int classes, string data = "the data", string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(imageShape);
        var (c, h, w, spaceClasses) = space.InputShape;
        if (imageShape.Count == 3 && imageShape[0] == c && imageShape[1] == h && imageShape[2] == w && classes == spaceClasses) return;
        throw new ArgumentException($"Space {SpaceCatalog.Describe(space)} takes {c}x{h}x{w} images and {spaceClasses} classes; {data} has "
                                    + $"{string.Join("x", imageShape)} images and {classes} classes{(hint is null ? "" : $" ({hint})")}.");
    }

    /// <summary>The default skeleton for data of <paramref name="imageShape"/> and <paramref name="classes"/>: the small NAS-Bench-201 space (C = 8, one cell per stage).</summary>
    public static SearchSpace DefaultFor(IReadOnlyList<long> imageShape, int classes) =>
        SpaceCatalog.Create($"nb201:C=8,N=1,in={imageShape[0]},size={imageShape[1]},classes={classes}");
}
