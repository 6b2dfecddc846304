namespace KShotNas.Torch.Optim;

/// <summary>A learning rate as a pure function of the global iteration (so the step counter is the whole schedule state).</summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate at iteration <paramref name="step"/> (0-based).</summary>
    double At(long step);
}

/// <summary>A constant rate.</summary>
public sealed record ConstantSchedule(double LearningRate) : ILearningRateSchedule
{
    /// <inheritdoc />
    public double At(long step) => LearningRate;
}

/// <summary>Cosine annealing from <paramref name="BaseRate"/> to <paramref name="MinRate"/> over <paramref name="TotalSteps"/>.</summary>
public sealed record CosineSchedule(double BaseRate, long TotalSteps, double MinRate = 0) : ILearningRateSchedule
{
    /// <inheritdoc />
    public double At(long step)
    {
        var t = Math.Clamp((double)step / Math.Max(1, TotalSteps), 0, 1);
        return MinRate + (BaseRate - MinRate) * 0.5 * (1 + Math.Cos(Math.PI * t));
    }
}

/// <summary>Multiplies the rate by <paramref name="Gamma"/> every <paramref name="StepSize"/> iterations.</summary>
public sealed record StepSchedule(double BaseRate, long StepSize, double Gamma) : ILearningRateSchedule
{
    /// <inheritdoc />
    public double At(long step) => BaseRate * Math.Pow(Gamma, step / Math.Max(1, StepSize));
}

/// <summary>Linear warm-up from <paramref name="StartFactor"/> × the inner rate to the inner schedule over <paramref name="WarmupSteps"/>.</summary>
public sealed record WarmupSchedule(ILearningRateSchedule Inner, long WarmupSteps, double StartFactor = 0) : ILearningRateSchedule
{
    /// <inheritdoc />
    public double At(long step)
    {
        if (step >= WarmupSteps) return Inner.At(step);
        var f = StartFactor + (1 - StartFactor) * step / Math.Max(1, WarmupSteps);
        return f * Inner.At(step);
    }
}
