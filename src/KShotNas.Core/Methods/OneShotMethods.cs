using KShotNas.Training;

namespace KShotNas.Methods;

/// <summary>SPOS: one uniformly drawn path per step.</summary>
public sealed class SposMethod : SupernetMethod
{
    /// <inheritdoc />
    public override string Name => "spos";
    /// <inheritdoc />
    public override PathSampling Sampling => PathSampling.Spos;
}

/// <summary>FairNAS (strict fairness): every option of every decision once per step, one optimizer step.</summary>
public sealed class FairNasMethod : SupernetMethod
{
    /// <inheritdoc />
    public override string Name => "fairnas";
    /// <inheritdoc />
    public override PathSampling Sampling => PathSampling.FairNas;
}

/// <summary>The sandwich rule: the least and the most complex path plus a few random ones per step.</summary>
public sealed class SandwichMethod : SupernetMethod
{
    /// <inheritdoc />
    public override string Name => "sandwich";
    /// <inheritdoc />
    public override PathSampling Sampling => PathSampling.Sandwich;

    /// <summary>
    /// Momentum separation keeps one momentum buffer set per complexity cluster and needs every path of a step in one
    /// cluster; a sandwich step spans the least and the most complex path, so the two are not combined.
    /// </summary>
    public override void Validate(SupernetTrainerOptions options)
    {
        base.Validate(options);
        if (options.MomentumSeparation)
            throw new ArgumentException("Momentum separation is defined for SPOS and FairNAS steps, not the sandwich rule (turn it off).", nameof(options));
    }
}
