using KShotNas.Data;
using KShotNas.Torch;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet;

/// <summary>
/// Training images streamed from an IDataView: each pass opens a cursor (through ML.NET's pool shuffle when a seed
/// is given), fills one batch buffer at a time and normalizes it, so memory holds a batch and the shuffle pool,
/// never the data set. The same seed gives the same order, so resuming at a batch index is exact.
/// </summary>
internal sealed class StreamingImageBatches(MLContext ml, IDataView view, ColumnLayout layout, int count, Normalization normalization, int shufflePool)
    : IImageBatches
{
    public int Count { get; } = count;
    public int Classes => layout.Classes;
    public long[] ImageShape => layout.ImageShape.Select(d => (long)d).ToArray();

    /// <summary>One pass over the rows: their number, per-channel statistics and class counts (every row checked).</summary>
    public static (int Count, Normalization Statistics, long[] ClassCounts) Scan(IDataView view, ColumnLayout layout)
    {
        var reader = new RowReader(layout, "training");
        var image = new float[layout.FeatureSize];
        using var cursor = view.GetRowCursor(reader.Columns(view.Schema));
        reader.Attach(cursor, view);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(view.Schema[layout.Features.Name]);
        var getLabel = cursor.GetGetter<uint>(view.Schema[layout.Label.Name]);
        var n = 0;
        while (reader.MoveNext(cursor, n)) reader.Read(getFeatures, getLabel, n++, image);
        if (n == 0) throw new ArgumentException("The training data view has no rows.", nameof(view));
        return (n, reader.Statistics(), reader.ClassCounts);
    }

    public int BatchCount(int batchSize, bool dropLast = false) => dropLast ? Count / batchSize : (Count + batchSize - 1) / batchSize;

    public IEnumerable<(Tensor Images, Tensor Labels)> Batches(int batchSize, int? shuffleSeed = null, bool dropLast = false, int startBatch = 0)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be positive.");
        var source = shuffleSeed is { } seed ? ml.Data.ShuffleRows(view, seed, shufflePool, shuffleSource: false) : view;
        var features = source.Schema[layout.Features.Name];
        var label = source.Schema[layout.Label.Name];
        var reader = new RowReader(layout, "training");
        var size = layout.FeatureSize;
        var pixels = new float[(long)batchSize * size];
        var labels = new long[batchSize];
        var shape = layout.ImageShape;
        using var cursor = source.GetRowCursor(reader.Columns(source.Schema));
        reader.Attach(cursor, source);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
        var getLabel = cursor.GetGetter<uint>(label);
        long row = 0;
        var skip = (long)startBatch * batchSize;
        while (true)
        {
            var filled = 0;
            while (filled < batchSize && reader.MoveNext(cursor, row))
            {
                if (row++ < skip) continue;
                labels[filled] = reader.Read(getFeatures, getLabel, row - 1, pixels.AsSpan(filled * size, size));
                filled++;
            }
            if (filled == 0 || (dropLast && filled < batchSize)) yield break;
            yield return ToTensors(pixels.AsSpan(0, filled * size), labels.AsSpan(0, filled), filled, shape);
            if (filled < batchSize) yield break;
        }
    }

    private (Tensor Images, Tensor Labels) ToTensors(ReadOnlySpan<float> pixels, ReadOnlySpan<long> labels, int n, int[] shape)
    {
        using var scope = TensorScope.Begin();
        var images = normalization.ApplyInPlace(Tensor.FromSpan(pixels, [n, shape[0], shape[1], shape[2]]));
        var y = Tensor.FromSpan(labels, [n]);
        return (images.DetachFromScope(), y.DetachFromScope());
    }
}
