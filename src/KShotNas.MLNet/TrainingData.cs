using KShotNas.Data;
using KShotNas.Torch;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet;

/// <summary>What the schema says about the two columns, checked before any row is read.</summary>
internal sealed record ColumnLayout(DataViewSchema.Column Features, DataViewSchema.Column Label, int[] ImageShape, int Classes, string[] ClassNames)
{
    public int FeatureSize => ImageShape[0] * ImageShape[1] * ImageShape[2];
}

/// <summary>Per-channel statistics of the training images, baked into the exported model.</summary>
internal sealed record Normalization(float[] Mean, float[] Std)
{
    /// <summary>(images - mean) / std per channel, in place on [N, C, H, W]; returns <paramref name="images"/>.</summary>
    public Tensor ApplyInPlace(Tensor images)
    {
        using var scope = TensorScope.Begin();
        var c = Mean.Length;
        return images.SubInPlace(Tensor.FromSpan<float>(Mean, [1, c, 1, 1])).DivInPlace(Tensor.FromSpan<float>(Std, [1, c, 1, 1]));
    }
}

/// <summary>
/// The rows of an IDataView as training and validation images: copied into tensors once when they fit the memory
/// budget, else streamed. Every row is checked (finite features, a label present) and every class counted before
/// training starts; the images are normalized with the training rows' per-channel mean and deviation.
/// </summary>
internal sealed class TrainingData : IDisposable
{
    private TrainingData(IImageBatches train, ImageDataset validation, Normalization normalization, bool streaming)
    {
        Train = train;
        Validation = validation;
        Normalization = normalization;
        Streaming = streaming;
    }

    public IImageBatches Train { get; }
    public ImageDataset Validation { get; }
    public Normalization Normalization { get; }
    public bool Streaming { get; }

    public static TrainingData Load(MLContext ml, IDataView input, ColumnLayout layout, KShotNasTrainer.Options o, Action<string> log)
    {
        var rows = input.GetRowCount() ?? CountRows(input);
        if (rows == 0) throw new ArgumentException("The training data view has no rows.", nameof(input));
        var bytes = rows * layout.FeatureSize * 4L;
        if (bytes <= o.MemoryBudgetBytes)
        {
            log($"reading {rows:N0} rows into memory ({bytes / 1048576.0:F0} MiB)");
            var (all, norm, counts) = RowReader.ReadAll(input, layout, "training");
            ImageDataset train, validation;
            try
            {
                RowReader.CheckClassCounts(counts, layout, o.ValidationData is null, k => layout.ClassNames[k]);
                if (o.ValidationData is null)
                {
                    using (all) (train, validation) = StratifiedSplit(all, o.ValidationFraction, o.Recipe.Seed);
                }
                else (train, validation) = (all, ReadValidation(o.ValidationData, layout, o.MemoryBudgetBytes));
            }
            catch
            {
                all.Dispose();
                throw;
            }
            norm.ApplyInPlace(train.Images);
            norm.ApplyInPlace(validation.Images);
            return new TrainingData(train, validation, norm, streaming: false);
        }
        log($"{rows:N0} rows ({bytes / 1048576.0:F0} MiB) exceed the memory budget ({o.MemoryBudgetBytes / 1048576.0:F0} MiB): streaming batches");
        IDataView trainView = input, validationView;
        if (o.ValidationData is null)
        {
            var split = ml.Data.TrainTestSplit(input, o.ValidationFraction, seed: o.Recipe.Seed);
            (trainView, validationView) = (split.TrainSet, split.TestSet);
        }
        else validationView = o.ValidationData;
        var (count, norm2, classCounts) = StreamingImageBatches.Scan(trainView, layout);
        RowReader.CheckClassCounts(classCounts, layout, split: false, k => layout.ClassNames[k]);
        // Validation is held in memory: at most a quarter of the budget, and never fewer rows than scoring needs.
        var maxValidationRows = (int)Math.Min(int.MaxValue, Math.Max(o.Recipe.ScoringImages, o.MemoryBudgetBytes / 4 / (4L * layout.FeatureSize)));
        var validationSet = RowReader.ReadAll(validationView, layout, "validation", maxValidationRows).Data;
        norm2.ApplyInPlace(validationSet.Images);
        var streamed = new StreamingImageBatches(ml, trainView, layout, count, norm2, o.StreamingShufflePool);
        return new TrainingData(streamed, validationSet, norm2, streaming: true);
    }

    private static ImageDataset ReadValidation(IDataView view, ColumnLayout layout, long budget)
    {
        var rows = view.GetRowCount() ?? CountRows(view);
        if (rows == 0) throw new ArgumentException("The validation data view has no rows.", nameof(view));
        if (rows * layout.FeatureSize * 4L > budget)
            throw new ArgumentException($"The validation data view ({rows:N0} rows) does not fit the memory budget; pass fewer rows.", nameof(view));
        return RowReader.ReadAll(view, layout, "validation").Data;
    }

    private static long CountRows(IDataView view)
    {
        long n = 0;
        using var cursor = view.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }

    /// <summary>Per class, a seeded share of the rows goes to validation (at least one), the rest trains.</summary>
    private static (ImageDataset Train, ImageDataset Validation) StratifiedSplit(ImageDataset all, double fraction, int seed)
    {
        var labels = all.Labels.ToArray<long>();
        var train = new List<long>();
        var validation = new List<long>();
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            var order = Shuffle.Permutation(members.Length, seed + (int)group.Key);
            var nVal = Math.Clamp((int)Math.Round(members.Length * fraction), 1, members.Length - 1);
            for (var i = 0; i < members.Length; i++) (i < nVal ? validation : train).Add(members[order[i]]);
        }
        train.Sort();
        validation.Sort();
        return (all.Select(train.ToArray()), all.Select(validation.ToArray()));
    }

    public void Dispose()
    {
        (Train as IDisposable)?.Dispose();
        Validation.Dispose();
    }
}
