using KShotNas.Data;
using KShotNas.Torch;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet;

/// <summary>Reads and checks rows of the features/label columns; accumulates per-channel statistics on the way.</summary>
internal sealed class RowReader
{
    private readonly ColumnLayout _layout;
    private readonly string _what;
    private readonly double[] _sum;
    private readonly double[] _sumSquares;
    private long _values;
    private VBuffer<float> _row;

    public RowReader(ColumnLayout layout, string what)
    {
        _layout = layout;
        _what = what;
        _sum = new double[layout.ImageShape[0]];
        _sumSquares = new double[layout.ImageShape[0]];
        ClassCounts = new long[layout.Classes];
    }

    /// <summary>Rows per class (label key - 1) read so far.</summary>
    public long[] ClassCounts { get; }

    /// <summary>Copies one row's image into <paramref name="image"/> and returns its class index; throws on bad values.</summary>
    public int Read(ValueGetter<VBuffer<float>> features, ValueGetter<uint> label, long row, Span<float> image)
    {
        features(ref _row);
        if (_row.Length != _layout.FeatureSize)
            throw new InvalidOperationException($"Row {row} of the {_what} data has {_row.Length} values in column '{_layout.Features.Name}'; expected {_layout.FeatureSize}.");
        _row.CopyTo(image);
        var plane = _layout.ImageShape[1] * _layout.ImageShape[2];
        for (var c = 0; c < _sum.Length; c++)
        {
            double s = 0, q = 0;
            foreach (var v in image.Slice(c * plane, plane))
            {
                if (!float.IsFinite(v))
                    throw new InvalidOperationException($"Row {row} of the {_what} data has a {(float.IsNaN(v) ? "NaN" : "infinite")} value in feature column '{_layout.Features.Name}'; remove or impute it first.");
                s += v;
                q += (double)v * v;
            }
            _sum[c] += s;
            _sumSquares[c] += q;
        }
        _values += plane;
        uint key = 0;
        label(ref key);
        if (key == 0 || key > _layout.Classes)
            throw new InvalidOperationException($"Row {row} of the {_what} data has a missing value in label column '{_layout.Label.Name}' (a value MapValueToKey did not see when it was fitted).");
        ClassCounts[key - 1]++;
        return (int)key - 1;
    }

    /// <summary>Per-channel mean and standard deviation of the rows read (a constant channel gets deviation 1).</summary>
    public Normalization Statistics()
    {
        var mean = new float[_sum.Length];
        var std = new float[_sum.Length];
        for (var c = 0; c < _sum.Length; c++)
        {
            var m = _sum[c] / _values;
            var variance = Math.Max(0, _sumSquares[c] / _values - m * m);
            mean[c] = (float)m;
            std[c] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
        return new Normalization(mean, std);
    }

    /// <summary>Every row (at most <paramref name="maxRows"/>) as an in-memory dataset, with its statistics and class counts.</summary>
    public static (ImageDataset Data, Normalization Statistics, long[] ClassCounts) ReadAll(IDataView view, ColumnLayout layout, string what, int maxRows = int.MaxValue)
    {
        var features = view.Schema[layout.Features.Name];
        var label = view.Schema[layout.Label.Name];
        var reader = new RowReader(layout, what);
        var size = layout.FeatureSize;
        var pixels = new List<float[]>();
        var labels = new List<long>();
        using (var cursor = view.GetRowCursor([features, label]))
        {
            var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
            var getLabel = cursor.GetGetter<uint>(label);
            long row = 0;
            while (labels.Count < maxRows && cursor.MoveNext())
            {
                var image = new float[size];
                labels.Add(reader.Read(getFeatures, getLabel, row++, image));
                pixels.Add(image);
            }
        }
        if (labels.Count == 0) throw new ArgumentException($"The {what} data view has no rows.", nameof(view));
        var flat = new float[(long)labels.Count * size];
        for (var i = 0; i < pixels.Count; i++) pixels[i].CopyTo(flat, (long)i * size);
        using var scope = TensorScope.Begin();
        var images = Tensor.FromSpan<float>(flat, [labels.Count, layout.ImageShape[0], layout.ImageShape[1], layout.ImageShape[2]]);
        var labelTensor = Tensor.FromSpan<long>(labels.ToArray(), [labels.Count]);
        return (new ImageDataset(images, labelTensor, layout.Classes), reader.Statistics(), reader.ClassCounts);
    }

    /// <summary>Every class needs rows to train on, and two to put one in validation when the trainer splits.</summary>
    public static void CheckClassCounts(long[] counts, ColumnLayout layout, bool split, Func<int, string> className)
    {
        var present = counts.Count(c => c > 0);
        if (present < 2)
            throw new InvalidOperationException($"Label column '{layout.Label.Name}' has {present} class(es) with rows; a classifier needs at least two.");
        var need = split ? 2 : 1;
        for (var k = 0; k < counts.Length; k++)
            if (counts[k] < need)
                throw new InvalidOperationException($"Class '{className(k)}' of label column '{layout.Label.Name}' has {counts[k]} row(s); "
                                                    + (split ? "splitting off validation rows needs at least 2 per class." : "every class of the key type needs training rows."));
    }
}
