using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet;

/// <summary>
/// Builds the fitted model from ML.NET's own transformers only, so a saved model loads where KShotNas is absent:
/// OnnxTransformer runs the exported network (normalization, softmax and argmax inside the graph), MapValue turns
/// the class index into the label's value, MapValueToKey turns that into a key of the label's key type (same count,
/// same key values), and the helper columns are dropped. ML.NET has no vector-to-scalar transform, so
/// PredictedLabel is a one-element vector of that key type.
/// </summary>
internal static class PredictionChain
{
    public const string IndexColumn = "KShotNas.PredictedIndex";
    public const string ValueColumn = "KShotNas.PredictedValue";

    public static TransformerChain<ITransformer> Fit(MLContext ml, IDataView input, byte[] onnxModel, ColumnLayout layout, KShotNasTrainer.Options o)
    {
        var onnx = ml.Transforms.ApplyOnnxModel([o.ScoreColumnName, IndexColumn], [o.FeatureColumnName], new MemoryStream(onnxModel));
        var toKey = KeyValuesOf(layout.Label) is { } keyValues
            ? (IEstimator<ITransformer>)typeof(PredictionChain).GetMethod(nameof(ToLabelKey), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(keyValues.ItemType.RawType).Invoke(null, [ml, layout.Label, o.PredictedLabelColumnName, 0])!
            : ToLabelKey<uint>(ml, null, o.PredictedLabelColumnName, layout.Classes);
        var chain = onnx.Append(toKey).Append(ml.Transforms.DropColumns(IndexColumn, ValueColumn));
        return new TransformerChain<ITransformer>(chain.Fit(input).ToArray());
    }

    /// <summary>The type of the label's key values, or null when the key carries none.</summary>
    private static VectorDataViewType? KeyValuesOf(DataViewSchema.Column label) =>
        label.Annotations.Schema.GetColumnOrNull(AnnotationUtilsKinds.KeyValues)?.Type as VectorDataViewType;

    /// <summary>Index -> label value -> key, with the label's own values in key order (so keys match the label's).</summary>
    private static IEstimator<ITransformer> ToLabelKey<T>(MLContext ml, DataViewSchema.Column? label, string output, int classes = 0)
    {
        T[] values;
        if (label is { } l)
        {
            VBuffer<T> buffer = default;
            l.GetKeyValues(ref buffer);
            values = buffer.DenseValues().ToArray();
        }
        else values = Enumerable.Range(0, classes).Select(i => (T)(object)(uint)i).ToArray();
        // Text values travel as string: ML.NET's in-memory views take string columns for text.
        if (typeof(T) == typeof(ReadOnlyMemory<char>))
            return Map(ml, values.Select(v => ((ReadOnlyMemory<char>)(object)v!).ToString()).ToArray(), output);
        return Map(ml, values, output);
    }

    private static IEstimator<ITransformer> Map<TValue>(MLContext ml, TValue[] values, string output)
    {
        var pairs = values.Select((v, i) => new KeyValuePair<long, TValue>(i, v));
        var keyData = ml.Data.LoadFromEnumerable(values.Select(v => new KeyRow<TValue> { Value = v }));
        return ml.Transforms.Conversion.MapValue(ValueColumn, pairs, IndexColumn)
            .Append(ml.Transforms.Conversion.MapValueToKey(output, ValueColumn, keyData: keyData));
    }

    private sealed class KeyRow<TValue>
    {
        public TValue Value = default!;
    }
}

/// <summary>ML.NET's annotation kind names (its own constants are internal).</summary>
internal static class AnnotationUtilsKinds
{
    public const string KeyValues = "KeyValues";
}
