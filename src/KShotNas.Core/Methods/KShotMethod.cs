using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Training;

namespace KShotNas.Methods;

/// <summary>
/// K-shot NAS: K weight copies per slot, mixed per path by a simplex-net (built here, with the supernet); the steps sample
/// paths by <see cref="Sampling"/>, and supernet and simplex-net steps alternate after a warm-up (<see cref="Settings"/>).
/// </summary>
public sealed class KShotMethod(int k, PathSampling sampling = PathSampling.FairNas) : SupernetMethod
{
    /// <summary>The simplex-net's softmax temperature of the seeds.</summary>
    public const double DefaultTemperature = 0.3;

    /// <inheritdoc />
    public override int K { get; } = k >= 2 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "K-shot needs K >= 2 (K = 1 is one-shot training).");

    /// <inheritdoc />
    public override string Name => $"kshot:{K}:{SamplingName(sampling)}";
    /// <inheritdoc />
    public override PathSampling Sampling => sampling;

    /// <summary>The simplex-net's softmax temperature tau.</summary>
    public double Temperature { get; init; } = DefaultTemperature;

    /// <summary>Warm-up, simplex-net steps and its optimizer (null: the options' own <see cref="SupernetTrainerOptions.KShot"/>).</summary>
    public KShotOptions? Settings { get; init; }

    /// <inheritdoc />
    protected override void Adjust(SupernetTrainerOptions options)
    {
        if (Settings is { } s) options.KShot = s;
    }

    /// <inheritdoc />
    public override void Validate(SupernetTrainerOptions options)
    {
        base.Validate(options);
        Of(sampling).Validate(options);
    }

    /// <summary>K weight copies per slot and the simplex-net that mixes them per path.</summary>
    public override Supernet Build(SearchSpace space, SupernetNorm norm = SupernetNorm.BatchStatistics)
    {
        var supernet = SupernetFile.Create(space, K, norm);
        try
        {
            supernet.Simplex = new SimplexNet(space, K, temperature: Temperature);
            return supernet;
        }
        catch
        {
            supernet.Dispose();
            throw;
        }
    }
}
