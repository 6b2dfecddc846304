using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet;

/// <summary>
/// The trainer's schema checks, run before any row is read. Failures are ML.NET's usual
/// <see cref="ArgumentOutOfRangeException"/> on the schema, naming the column and what is wrong with it.
/// </summary>
internal static class InputSchema
{
    public static ColumnLayout Check(DataViewSchema schema, KShotNasTrainer.Options o)
    {
        var features = Find(schema, o.FeatureColumnName, "feature");
        var label = Find(schema, o.LabelColumnName, "label");
        if (features.Type is not VectorDataViewType { ItemType: NumberDataViewType n, IsKnownSize: true } vector || n != NumberDataViewType.Single)
            throw Mismatch("feature", features.Name, "a known-size vector of Single (e.g. ExtractPixels' output)", features.Type.ToString());
        var keyType = CheckLabel(label.Type, label.Name);
        var shape = ImageShape(vector, o, features.Name);
        var names = ClassNames(label, (int)keyType.Count);
        return new ColumnLayout(features, label, shape, (int)keyType.Count, names);
    }

    /// <summary>The validation view must carry the same columns with the same types.</summary>
    public static void CheckValidation(DataViewSchema schema, ColumnLayout layout, KShotNasTrainer.Options o)
    {
        var features = Find(schema, o.FeatureColumnName, "validation feature");
        var label = Find(schema, o.LabelColumnName, "validation label");
        if (!features.Type.Equals(layout.Features.Type))
            throw Mismatch("validation feature", features.Name, layout.Features.Type.ToString(), features.Type.ToString());
        if (!label.Type.Equals(layout.Label.Type))
            throw Mismatch("validation label", label.Name, $"{layout.Label.Type} (the training label's key type: map both with one MapValueToKey)", label.Type.ToString());
    }

    /// <summary>The same checks on a schema shape (estimator chains check before fitting); returns the label column.</summary>
    public static (SchemaShape.Column Label, SchemaShape.Column Features) Check(SchemaShape schema, KShotNasTrainer.Options o)
    {
        var features = schema.Where(c => c.Name == o.FeatureColumnName).Select(c => (SchemaShape.Column?)c).FirstOrDefault()
                       ?? throw new ArgumentOutOfRangeException("inputSchema", $"Could not find feature column '{o.FeatureColumnName}'.");
        var label = schema.Where(c => c.Name == o.LabelColumnName).Select(c => (SchemaShape.Column?)c).FirstOrDefault()
                    ?? throw new ArgumentOutOfRangeException("inputSchema", $"Could not find label column '{o.LabelColumnName}'.");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single)
            throw Mismatch("feature", o.FeatureColumnName, "a known-size vector of Single", Describe(features));
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw Mismatch("label", o.LabelColumnName, "a key (apply MapValueToKey to the label first)", Describe(label));
        return (label, features);
    }

    private static string Describe(SchemaShape.Column c) =>
        $"{(c.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : c.Kind == SchemaShape.Column.VectorKind.Vector ? "known-size vector of " : "variable-size vector of ")}"
        + (c.IsKey ? $"key of {c.ItemType}" : c.ItemType.ToString());

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string kind) =>
        schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException("inputSchema",
            $"Could not find {kind} column '{name}' (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");

    private static KeyDataViewType CheckLabel(DataViewType type, string name)
    {
        if (type is not KeyDataViewType key)
            throw Mismatch("label", name, "a key (apply MapValueToKey to the label first)", type.ToString());
        if (key.RawType != typeof(uint))
            throw Mismatch("label", name, "a key of UInt32 (MapValueToKey's output)", type.ToString());
        if (key.Count < 2)
            throw new ArgumentOutOfRangeException("inputSchema", $"Label column '{name}' has {key.Count} class(es); a classifier needs at least two.");
        return key;
    }

    private static int[] ImageShape(VectorDataViewType vector, KShotNasTrainer.Options o, string name)
    {
        var dims = vector.Dimensions;
        var shape = o.ImageShape ?? dims.Length switch
        {
            3 => [dims[0], dims[1], dims[2]],
            2 => [1, dims[0], dims[1]],
            _ => SquareReading(vector.Size) ?? throw new ArgumentOutOfRangeException("inputSchema",
                $"Feature column '{name}' is a vector of {vector.Size} values without image dimensions, and {vector.Size} is neither "
                + "H*H (grey) nor 3*H*H (colour); set Options.ImageShape to [C, H, W]."),
        };
        var needed = (long)shape[0] * shape[1] * shape[2];
        if (needed != vector.Size)
            throw new ArgumentOutOfRangeException("inputSchema",
                $"Feature column '{name}' has {vector.Size} values per row, but the image shape {string.Join("x", shape)} needs {needed} (C*H*W).");
        if (shape[1] != shape[2])
            throw new ArgumentOutOfRangeException("inputSchema",
                $"Feature column '{name}' holds {shape[1]}x{shape[2]} images; the search spaces take square images (resize them, e.g. with ResizeImages).");
        return shape;
    }

    /// <summary>
    /// The one square-image reading of a plain vector of <paramref name="size"/> values: 1 x H x H or 3 x H x H (both at once
    /// is impossible: 3 H^2 is never a square). Null when neither fits. Most ML.NET tutorials load pixels as such a vector.
    /// </summary>
    public static int[]? SquareReading(int size)
    {
        var readings = new[] { 1, 3 }.Where(c => size % c == 0 && IsSquare(size / c)).Select(c => new[] { c, Side(size / c), Side(size / c) }).ToList();
        return readings.Count == 1 ? readings[0] : null;
        static int Side(int n) => (int)Math.Round(Math.Sqrt(n));
        static bool IsSquare(int n) => n > 0 && Side(n) * Side(n) == n;
    }

    private static string[] ClassNames(DataViewSchema.Column label, int classes)
    {
        if (label.Annotations.Schema.GetColumnOrNull(AnnotationUtilsKinds.KeyValues) is null)
            return Enumerable.Range(0, classes).Select(i => (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        VBuffer<ReadOnlyMemory<char>> text = default;
        try
        {
            label.Annotations.GetValue(AnnotationUtilsKinds.KeyValues, ref text);
            return text.DenseValues().Select(v => v.ToString()).ToArray();
        }
        catch (InvalidOperationException)
        {
            // Non-text key values (numbers): name classes by their key index.
            return Enumerable.Range(0, classes).Select(i => $"key {i + 1}").ToArray();
        }
    }

    private static ArgumentOutOfRangeException Mismatch(string kind, string name, string? expected, string? actual) =>
        new("inputSchema", $"Schema mismatch for {kind} column '{name}': expected {expected}, got {actual}.");
}
