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
    private IDataView? _view;

    public RowReader(ColumnLayout layout, string what)
    {
        _layout = layout;
        _what = what;
        _sum = new double[layout.ImageShape[0]];
        _sumSquares = new double[layout.ImageShape[0]];
        ClassCounts = new long[layout.Classes];
    }

    /// <summary>The current row's image file, when the view has a path column (see <see cref="PathColumn"/>).</summary>
    public Func<string?>? ImagePath { get; set; }

    /// <summary>
    /// The text column naming each row's image file (LoadImages' input): "ImagePath", else the only text column whose
    /// name ends in "Path"; null when there is none.
    /// </summary>
    public static DataViewSchema.Column? PathColumn(DataViewSchema schema)
    {
        var text = schema.Where(c => !c.IsHidden && c.Type is TextDataViewType).ToList();
        var named = text.Where(c => c.Name == "ImagePath").ToList();
        if (named.Count == 0) named = text.Where(c => c.Name.EndsWith("Path", StringComparison.OrdinalIgnoreCase)).ToList();
        return named.Count == 1 ? named[0] : null;
    }

    /// <summary>The columns a cursor needs: features, label and the path column when present; sets <see cref="ImagePath"/> on the cursor made with them.</summary>
    public DataViewSchema.Column[] Columns(DataViewSchema schema)
    {
        var columns = new List<DataViewSchema.Column> { schema[_layout.Features.Name], schema[_layout.Label.Name] };
        if (PathColumn(schema) is { } path) columns.Add(path);
        return columns.ToArray();
    }

    /// <summary>Connects <see cref="ImagePath"/> to <paramref name="cursor"/> of <paramref name="view"/> (made with <see cref="Columns"/>).</summary>
    public void Attach(DataViewRowCursor cursor, IDataView view)
    {
        _view = view;
        if (PathColumn(cursor.Schema) is not { } column || !cursor.IsColumnActive(column)) return;
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ImagePath = () =>
        {
            ReadOnlyMemory<char> value = default;
            getter(ref value);
            return value.ToString();
        };
    }

    /// <summary>The cursor's next row; a failure upstream (LoadImages on an unreadable file) comes out naming the file.</summary>
    public bool MoveNext(DataViewRowCursor cursor, long row)
    {
        try
        {
            return cursor.MoveNext();
        }
        // ML.NET's parallel cursor fails in MoveNext ("Splitter/consolidator worker encountered exception") for a row it never shows.
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw Explain(e, row, null);
        }
    }

    /// <summary>
    /// A failure while reading rows, explained: with a path column, the unreadable files among its values are found with
    /// <see cref="ImageFolder.Inspect"/> (only on this error path) and named; else the row and the innermost message.
    /// </summary>
    private Exception Explain(Exception e, long row, string? path)
    {
        var hint = $"Reading the {_what} data failed near row {row}. ImageFolder.Check(files) names every unreadable file before fitting.";
        if (path is not null && ImageFolder.Inspect(path).Bad is { } one) return new BadImageException([one], hint);
        if (_view is not null && PathColumn(_view.Schema) is { } column)
        {
            var bad = new List<BadImageFile>();
            using var cursor = _view.GetRowCursor([column]);
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            var seen = new HashSet<string>();
            ReadOnlyMemory<char> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                if (seen.Add(value.ToString()) && ImageFolder.Inspect(value.ToString()).Bad is { } b) bad.Add(b);
            }
            if (bad.Count > 0) return new BadImageException(bad, hint);
        }
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return new InvalidDataException($"Row {row} of the {_what} data could not be read: {inner.Message}", e);
    }

    /// <summary>Rows per class (label key - 1) read so far.</summary>
    public long[] ClassCounts { get; }

    /// <summary>Copies one row's image into <paramref name="image"/> and returns its class index; throws on bad values.</summary>
    public int Read(ValueGetter<VBuffer<float>> features, ValueGetter<uint> label, long row, Span<float> image)
    {
        try
        {
            features(ref _row);
        }
        // ImageAnalytics' LoadImages fails inside the cursor without naming the file ("Invalid path"): name it here.
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            string? path = null;
            try { path = ImagePath?.Invoke(); }
            catch (Exception) { } // no path to add; the original error still goes out
            throw Explain(e, row, path);
        }
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
        using (var cursor = view.GetRowCursor(reader.Columns(view.Schema)))
        {
            reader.Attach(cursor, view);
            var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
            var getLabel = cursor.GetGetter<uint>(label);
            long row = 0;
            while (labels.Count < maxRows && reader.MoveNext(cursor, row))
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
