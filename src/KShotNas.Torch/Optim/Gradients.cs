using KShotNas.Torch.Native;

namespace KShotNas.Torch.Optim;

/// <summary>Whole-list gradient operations, each one native call.</summary>
public static class Gradients
{
    /// <summary>Drops the gradients (set-to-none: untouched weights stay gradient-free next step).</summary>
    public static unsafe void ZeroGrad(ParameterList parameters)
    {
        var ps = parameters.Pointers;
        fixed (IntPtr* p = ps) Status.Check(OptimNative.kst_zero_grad(p, ps.Length));
    }

    /// <summary>Scales gradients so that their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static unsafe double ClipByGlobalNorm(ParameterList parameters, double maxNorm)
    {
        if (maxNorm <= 0) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The norm bound must be positive.");
        var ps = parameters.Pointers;
        fixed (IntPtr* p = ps)
        {
            Status.Check(OptimNative.kst_clip_grad_norm(p, ps.Length, maxNorm, out var total));
            return total;
        }
    }
}

/// <summary>An exponential moving average of a parameter list (used when retraining with the seeds' RMSProp recipe).</summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    private readonly ParameterList _source;
    private readonly ParameterList _average;

    /// <summary>
    /// Starts the average at the current values. With <paramref name="warmupDecay"/> the decay of update n is
    /// min(decay, (1 + n) / (10 + n)) (TensorFlow's num_updates form), so short runs are not dominated by the initial weights.
    /// </summary>
    public ExponentialMovingAverage(IReadOnlyList<Tensor> parameters, double decay, bool warmupDecay = false)
    {
        if (decay is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "Decay must be in [0, 1).");
        Decay = decay;
        WarmupDecay = warmupDecay;
        _source = new ParameterList(parameters);
        _average = new ParameterList(parameters.Select(p => p.Detach().Clone().DetachFromScope()).ToArray());
    }

    /// <summary>Weight of the old average per update (its cap, with warm-up).</summary>
    public double Decay { get; }

    /// <summary>Whether the decay warms up with the number of updates.</summary>
    public bool WarmupDecay { get; }

    /// <summary>Updates so far.</summary>
    public long Updates { get; private set; }

    /// <summary>The averaged tensors, in parameter order.</summary>
    public IReadOnlyList<Tensor> Averages => _average.Tensors;

    /// <summary>average = decay * average + (1 - decay) * parameter.</summary>
    public unsafe void Update()
    {
        var decay = WarmupDecay ? Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates)) : Decay;
        var a = _average.Pointers;
        fixed (IntPtr* pa = a)
        fixed (IntPtr* ps = _source.Pointers)
            Status.Check(OptimNative.kst_ema_update(pa, ps, a.Length, decay));
        Updates++;
    }

    /// <summary>Frees the averages.</summary>
    public void Dispose() => _average.DisposeTensors();
}
