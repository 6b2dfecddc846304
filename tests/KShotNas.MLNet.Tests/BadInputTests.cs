using System.Diagnostics;
using KShotNas.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet.Tests;

/// <summary>Every bad input fails before training, with an ML.NET-style exception naming the column and the problem.</summary>
public class BadInputTests
{
    private readonly MLContext _ml = new(seed: 0);

    private Exception FitFails(IDataView data, KShotNasTrainer.Options? options = null, bool mapLabel = true)
    {
        var view = mapLabel && data.Schema.GetColumnOrNull("Label") is { Type: TextDataViewType }
            ? _ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data)
            : data;
        var clock = Stopwatch.StartNew();
        var e = Record.Exception(() => _ml.MulticlassClassification.Trainers.KShotNas(options ?? TestData.Tiny()).Fit(view));
        Assert.NotNull(e);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"failed only after {clock.Elapsed} (training started?): {e.Message}");
        return e;
    }

    private static IEnumerable<VectorRow> Rows(int count, int classes = 10, Func<int, float>? pixel = null) =>
        Enumerable.Range(0, count).Select(i => new VectorRow
        {
            Features = Enumerable.Range(0, 784).Select(p => pixel?.Invoke(p) ?? (i * 7 + p) % 255).ToArray(),
            Label = $"c{i % classes}",
        });

    [Fact]
    public void MissingFeatureColumn()
    {
        var e = FitFails(TestData.FromRows(_ml, Rows(40)), new KShotNasTrainer.Options { FeatureColumnName = "Pixels" });
        Assert.IsType<ArgumentOutOfRangeException>(e);
        Assert.Contains("Could not find feature column 'Pixels'", e.Message);
    }

    [Fact]
    public void MissingLabelColumn()
    {
        var e = FitFails(TestData.FromRows(_ml, Rows(40)), new KShotNasTrainer.Options { LabelColumnName = "Class" });
        Assert.Contains("Could not find label column 'Class'", e.Message);
    }

    [Fact]
    public void FeaturesOfUnknownSize()
    {
        var definition = SchemaDefinition.Create(typeof(VectorRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single); // variable size
        var e = FitFails(TestData.FromRows(_ml, Rows(40), definition));
        Assert.Contains("Schema mismatch for feature column 'Features': expected a known-size vector of Single", e.Message);
    }

    [Fact]
    public void FeaturesOfAnotherType()
    {
        var rows = Rows(40).Select(r => new DoubleRow { Features = r.Features.Select(v => (double)v).ToArray(), Label = r.Label });
        var e = FitFails(TestData.FromRows(_ml, rows));
        Assert.Contains("feature column 'Features'", e.Message);
        Assert.Contains("Double", e.Message);
    }

    [Fact]
    public void SizeThatIsNotTheImageShape()
    {
        var options = TestData.Tiny();
        options.ImageShape = [3, 16, 16];
        var e = FitFails(TestData.FromRows(_ml, Rows(40)), options);
        Assert.Contains("has 784 values per row, but the image shape 3x16x16 needs 768", e.Message);
    }

    /// <summary>785 values have no square reading (neither H*H nor 3*H*H): the shape must be given.</summary>
    [Fact]
    public void FeaturesWithoutDimensionsAndNoSquareReadingNeedAnImageShape()
    {
        var rows = Enumerable.Range(0, 40).Select(i => new OddRow { Features = new float[785], Label = $"c{i % 10}" });
        var e = FitFails(TestData.FromRows(_ml, rows));
        Assert.IsType<ArgumentOutOfRangeException>(e);
        Assert.Contains("785 values without image dimensions", e.Message);
        Assert.Contains("set Options.ImageShape", e.Message);
    }

    [Fact]
    public void LabelThatIsNotAKey()
    {
        var options = TestData.Tiny();
        options.ImageShape = [1, 28, 28];
        var e = FitFails(TestData.FromRows(_ml, Rows(40)), options, mapLabel: false);
        Assert.Contains("Schema mismatch for label column 'Label': expected a key (apply MapValueToKey", e.Message);
    }

    [Fact]
    public void FewerThanTwoClasses()
    {
        var options = TestData.Tiny();
        options.ImageShape = [1, 28, 28];
        var e = FitFails(TestData.FromRows(_ml, Rows(40, classes: 1)), options);
        Assert.Contains("has 1 class(es)", e.Message);
    }

    [Fact]
    public void ClassWithTooFewRowsToSplit()
    {
        var options = TestData.Tiny();
        options.ImageShape = [1, 28, 28];
        var rows = Rows(40, classes: 2).Append(new VectorRow { Label = "rare" });
        var e = FitFails(TestData.FromRows(_ml, rows), options);
        Assert.Contains("Class 'rare' of label column 'Label' has 1 row(s)", e.Message);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "infinite")]
    public void NonFiniteFeatures(float bad, string word)
    {
        var options = TestData.Tiny();
        options.ImageShape = [1, 28, 28];
        var rows = Rows(40).ToList();
        rows[17].Features[300] = bad;
        var e = FitFails(TestData.FromRows(_ml, rows), options);
        Assert.Contains($"Row 17 of the training data has a {word} value in feature column 'Features'", e.Message);
    }

    [Fact]
    public void EmptyView()
    {
        var options = TestData.Tiny();
        options.ImageShape = [1, 28, 28];
        var keys = _ml.Transforms.Conversion.MapValueToKey("Label").Fit(TestData.FromRows(_ml, Rows(4)));
        var empty = keys.Transform(TestData.FromRows(_ml, Array.Empty<VectorRow>()));
        var e = FitFails(empty, options, mapLabel: false);
        Assert.Contains("has no rows", e.Message);
    }

    [Fact]
    public void OptionsOutOfRange()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.MulticlassClassification.Trainers.KShotNas(new KShotNasTrainer.Options { Recipe = { SupernetEpochs = 0 } }));
        Assert.Contains("SupernetEpochs must be at least 1", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.MulticlassClassification.Trainers.KShotNas(new KShotNasTrainer.Options { Recipe = { SupernetLearningRate = double.NaN } }));
        Assert.Contains("SupernetLearningRate must be finite and positive", e.Message);
    }

    [Fact]
    public void PipelineSchemaCheckNamesTheColumn()
    {
        var shape = new SchemaShape([
            MLContextAccess.Column("Features", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false),
            MLContextAccess.Column("Label", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true)]);
        var nas = _ml.MulticlassClassification.Trainers.KShotNas(new KShotNasTrainer.Options { FeatureColumnName = "Nope" });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => nas.GetOutputSchema(shape));
        Assert.Contains("Could not find feature column 'Nope'", e.Message);
        var ok = _ml.MulticlassClassification.Trainers.KShotNas(new KShotNasTrainer.Options()).GetOutputSchema(shape);
        Assert.Contains(ok, c => c.Name == "Score" && c.Kind == SchemaShape.Column.VectorKind.Vector);
        Assert.Contains(ok, c => c.Name == "PredictedLabel" && c.IsKey);
    }

    public sealed class DoubleRow
    {
        [VectorType(784)] public double[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }
}

/// <summary>A row whose feature count is no square image's.</summary>
public sealed class OddRow
{
    [VectorType(785)] public float[] Features { get; set; } = new float[785];
    public string Label { get; set; } = "";
}
