using KShotNas.Spaces;

namespace KShotNas.Training;

/// <summary>
/// CaLR (Jeon et al., CVPR 2025): each path decays its learning rate as (1 - t/T)^gamma(a), with gamma an affine
/// map of ln C(a) into [gamma_min, gamma_max], larger for simpler paths:
/// gamma(a) = gamma_max - (gamma_max - gamma_min) (ln C(a) - ln C_min) / (ln C_max - ln C_min).
/// C(a) is the space's complexity score (conv and linear weights a path uses).
/// </summary>
public sealed class ComplexityAwareSchedule
{
    /// <summary>Creates the schedule; C_min and C_max are the space's extremes (see <see cref="ComplexityRange"/>).</summary>
    public ComplexityAwareSchedule(SearchSpace space, double baseRate, long totalSteps, double gammaMax = 4, double? gammaMin = null,
        double etaMin = 0)
    {
        if (gammaMax <= 0) throw new ArgumentOutOfRangeException(nameof(gammaMax), "gamma_max must be positive.");
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps));
        Space = space;
        BaseRate = baseRate;
        TotalSteps = totalSteps;
        GammaMax = gammaMax;
        GammaMin = gammaMin ?? 1 / gammaMax;
        EtaMin = etaMin;
        (ComplexityMin, ComplexityMax) = ComplexityRange(space);
    }

    /// <summary>The space.</summary>
    public SearchSpace Space { get; }
    /// <summary>lr_0.</summary>
    public double BaseRate { get; }
    /// <summary>T, in iterations.</summary>
    public long TotalSteps { get; }
    /// <summary>gamma for the simplest path.</summary>
    public double GammaMax { get; }
    /// <summary>gamma for the most complex path.</summary>
    public double GammaMin { get; }
    /// <summary>Relative floor of the rate.</summary>
    public double EtaMin { get; }
    /// <summary>Smallest complexity score of the space.</summary>
    public long ComplexityMin { get; }
    /// <summary>Largest complexity score of the space.</summary>
    public long ComplexityMax { get; }

    /// <summary>gamma(a).</summary>
    public double Gamma(Architecture a) => Gamma(Space.Profile(a).Complexity);

    /// <summary>gamma for a complexity score.</summary>
    public double Gamma(long complexity)
    {
        if (ComplexityMax == ComplexityMin) return 1;
        var u = (Math.Log(complexity) - Math.Log(ComplexityMin)) / (Math.Log(ComplexityMax) - Math.Log(ComplexityMin));
        return GammaMax - (GammaMax - GammaMin) * u;
    }

    /// <summary>(1 - eta) (1 - t/T)^gamma + eta: the factor on lr_0 at step t (also FairNAS's loss scale).</summary>
    public double Factor(Architecture a, long step)
    {
        var remaining = Math.Clamp(1 - (double)step / TotalSteps, 0, 1);
        return (1 - EtaMin) * Math.Pow(remaining, Gamma(a)) + EtaMin;
    }

    /// <summary>lr_t(a).</summary>
    public double LearningRate(Architecture a, long step) => BaseRate * Factor(a, step);

    /// <summary>
    /// The smallest and largest complexity scores: exact by enumeration for spaces of at most 200,000
    /// architectures; otherwise by coordinate descent/ascent over the decisions from the first options
    /// (exact for spaces whose complexity is additive over decisions, as in every built-in space without widths).
    /// </summary>
    public static (long Min, long Max) ComplexityRange(SearchSpace space)
    {
        if (space.Size <= 200_000)
        {
            long min = long.MaxValue, max = long.MinValue;
            foreach (var a in space.Enumerate())
            {
                var c = space.Profile(a).Complexity;
                min = Math.Min(min, c);
                max = Math.Max(max, c);
            }
            return (min, max);
        }
        return (space.Profile(ComplexityExtremes.Least(space)).Complexity, space.Profile(ComplexityExtremes.Most(space)).Complexity);
    }
}
