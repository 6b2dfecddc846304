using KShotNas.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet.Tests;

/// <summary>Pins the ML.NET internals the trainer reaches by reflection: an upgrade that moves them fails here.</summary>
public class MLContextAccessTests
{
    [Fact]
    public void CatalogEnvironmentAndCancellationAreReachable()
    {
        var ml = new MLContext(seed: 1);
        var env = MLContextAccess.EnvironmentOf(ml.MulticlassClassification.Trainers);
        Assert.False(MLContextAccess.IsCanceled(env));
        MLContextAccess.CancelExecution(ml);
        Assert.True(MLContextAccess.IsCanceled(env));
    }

    [Fact]
    public void SchemaShapeColumnsCanBeMade()
    {
        var column = MLContextAccess.Column("Score", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
        Assert.Equal("Score", column.Name);
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, column.Kind);
        Assert.Equal(NumberDataViewType.Single, column.ItemType);
    }
}
