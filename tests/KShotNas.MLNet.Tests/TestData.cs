using KShotNas.Data;
using KShotNas.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet.Tests;

/// <summary>Small real data for the trainer: Fashion-MNIST rows as an IDataView, PNG folders, tiny budgets.</summary>
internal static class TestData
{
    /// <summary>The first <paramref name="count"/> Fashion-MNIST training rows: Features (raw 0-255, [1, 28, 28]) and a text Label.</summary>
    public static IDataView Rows(MLContext ml, int count, DataSplit split = DataSplit.Train) => ImageData.FromIdx(ml, null, split, count);

    /// <summary>Options that make a whole fit take seconds.</summary>
    public static KShotNasTrainer.Options Tiny(int seed = 0) => new()
    {
        Recipe =
        {
            Method = new KShotNas.Methods.SposMethod(), SupernetEpochs = 1, SearchBudget = 4, RetrainEpochs = 2,
            ScoringImages = 200, Threads = 2, Seed = seed, MaxFlops = 3_000_000,
        },
    };

    /// <summary>Rows of a custom type, for the bad-input tests.</summary>
    public static IDataView FromRows<T>(MLContext ml, IEnumerable<T> rows, SchemaDefinition? definition = null) where T : class =>
        ml.Data.LoadFromEnumerable(rows, definition);

    /// <summary>The repository root (holds KShotNas.sln).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KShotNas.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("KShotNas.sln not found above the test binaries.");
    }
}

/// <summary>A row with a features vector and a label, for custom-typed views.</summary>
public sealed class VectorRow
{
    [VectorType(784)] public float[] Features { get; set; } = new float[784];
    public string Label { get; set; } = "";
}
