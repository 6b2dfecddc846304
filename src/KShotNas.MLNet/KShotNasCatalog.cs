using Microsoft.ML;

namespace KShotNas.MLNet;

/// <summary>The catalog entry: <c>mlContext.MulticlassClassification.Trainers.KShotNas(...)</c>.</summary>
public static class KShotNasCatalog
{
    /// <summary>A <see cref="KShotNasTrainer"/> with all its options.</summary>
    public static KShotNasTrainer KShotNas(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, KShotNasTrainer.Options options) =>
        new(MLContextAccess.EnvironmentOf(catalog), options);

    /// <summary>A <see cref="KShotNasTrainer"/> with the default NAS path and the given columns and limits.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label column (a key).</param>
    /// <param name="featureColumnName">The image column (a known-size vector of Single, C x H x W).</param>
    /// <param name="maxFlops">Hard limit on the found network's multiply-accumulates per image (null: none).</param>
    /// <param name="maxParameters">Hard limit on its parameters (null: none).</param>
    /// <param name="supernetEpochs">Supernet training epochs (null: the recipe's default).</param>
    /// <param name="retrainEpochs">Retraining epochs of the found network (null: the recipe's default).</param>
    public static KShotNasTrainer KShotNas(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", long? maxFlops = null, long? maxParameters = null,
        int? supernetEpochs = null, int? retrainEpochs = null) =>
        KShotNas(catalog, new KShotNasTrainer.Options
        {
            LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName,
            Recipe = { MaxFlops = maxFlops, MaxParameters = maxParameters, SupernetEpochs = supernetEpochs, RetrainEpochs = retrainEpochs },
        });

    /// <summary>
    /// A <see cref="KShotNasTrainer"/> that plans its whole NAS path (supernet, search, retraining) to end within
    /// <paramref name="timeBudget"/>, as an AutoML experiment takes a training time.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="timeBudget">Wall time for the whole fit.</param>
    /// <param name="labelColumnName">The label column (a key).</param>
    /// <param name="featureColumnName">The image column (a known-size vector of Single, C x H x W).</param>
    /// <param name="maxFlops">Hard limit on the found network's multiply-accumulates per image (null: none).</param>
    /// <param name="maxParameters">Hard limit on its parameters (null: none).</param>
    public static KShotNasTrainer KShotNas(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, TimeSpan timeBudget,
        string labelColumnName = "Label", string featureColumnName = "Features", long? maxFlops = null, long? maxParameters = null) =>
        KShotNas(catalog, new KShotNasTrainer.Options
        {
            LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName,
            Recipe = { TimeBudget = timeBudget, MaxFlops = maxFlops, MaxParameters = maxParameters },
        });
}
