using KShotNas.Data;
using KShotNas.Deployment;
using KShotNas.Spaces;
using KShotNas.Torch;

namespace KShotNas.Training;

/// <summary>
/// Retraining one cell from scratch: the one function behind `kshotnas run`, `retrain`, `study pick-check` and the ML.NET
/// trainer, so that a cell retrained by any of them with the same options and seed starts from the same weights.
/// </summary>
public static class CellRetraining
{
    /// <summary>
    /// The seeding rule: the network's initial weights come from <c>seed + 1</c> (a search's supernet took
    /// <c>seed</c>), the data order from <see cref="ClassifierTrainerOptions.Seed"/> itself.
    /// </summary>
    public static ulong InitializationSeed(int seed) => unchecked((ulong)seed + 1);

    /// <summary>
    /// Builds <paramref name="architecture"/> of <paramref name="space"/> with fresh weights and trains it on
    /// <paramref name="train"/> with <paramref name="options"/>; accuracy on <paramref name="test"/> (NaN without one).
    /// The caller owns the returned network.
    /// </summary>
    public static (StandaloneNetwork Network, TrainingResult Result) Retrain(SearchSpace space, Architecture architecture, IImageBatches train,
        IImageBatches? test, ClassifierTrainerOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        SpaceFit.Check(space, train.ImageShape, train.Classes, "the retraining data");
        TorchRuntime.ManualSeed(InitializationSeed(options.Seed));
        var network = new StandaloneNetwork(space, architecture);
        try
        {
            return (network, new ClassifierTrainer(options).Fit(network, train, test, progress, cancellationToken));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
