using KShotNas.Torch.Native;

namespace KShotNas.Torch.Optim;

/// <summary>What a step does to a parameter that received no gradient (not on the sampled path).</summary>
public enum UntouchedParameters
{
    /// <summary>Leave it alone: no weight decay, no momentum (the default).</summary>
    Skip = 0,
    /// <summary>Update it with a zero gradient: weight decay and the momentum buffer still move it.</summary>
    UpdateWithZeroGradient = 1,
}

/// <summary>Options of <see cref="Sgd"/>.</summary>
public sealed class SgdOptions
{
    /// <summary>Learning rate used when <see cref="Sgd.Step"/> is given none.</summary>
    public double LearningRate { get; set; } = 0.1;
    /// <summary>Momentum mu (0 disables buffers).</summary>
    public double Momentum { get; set; }
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; set; }
    /// <summary>L2 weight decay added to the gradient.</summary>
    public double WeightDecay { get; set; }
    /// <summary>Treatment of parameters without a gradient.</summary>
    public UntouchedParameters Untouched { get; set; } = UntouchedParameters.Skip;
}

/// <summary>
/// Momentum buffers for one parameter list, kept apart from the optimizer so several buffer sets can
/// serve the same weights (momentum separation keeps one set per path cluster).
/// </summary>
public sealed class MomentumBuffers : IDisposable
{
    internal MomentumBuffers(ParameterList buffers) => Buffers = buffers;

    /// <summary>One buffer per parameter, in parameter order.</summary>
    public ParameterList Buffers { get; }

    /// <summary>Total scalars held (memory cost of the set).</summary>
    public long ElementCount => Buffers.Tensors.Sum(t => t.NumEl);

    /// <summary>Frees the buffers.</summary>
    public void Dispose() => Buffers.DisposeTensors();
}

/// <summary>
/// Stochastic gradient descent with PyTorch's semantics (dampening 0): d = g + wd θ; v = μ v + d;
/// θ -= lr (d + μ v) with Nesterov, else θ -= lr v. One fused native call per step.
/// </summary>
public sealed class Sgd : IDisposable
{
    private readonly ParameterList _parameters;

    /// <summary>Creates the optimizer and, when momentum is on, its default buffer set.</summary>
    public Sgd(IReadOnlyList<Tensor> parameters, SgdOptions? options = null)
    {
        Options = options ?? new SgdOptions();
        if (Options.Momentum < 0) throw new ArgumentOutOfRangeException(nameof(options), "Momentum must be >= 0.");
        if (Options.Nesterov && Options.Momentum == 0) throw new ArgumentException("Nesterov momentum needs momentum > 0.");
        _parameters = new ParameterList(parameters);
        DefaultBuffers = Options.Momentum != 0 ? CreateBuffers() : null;
    }

    /// <summary>The options.</summary>
    public SgdOptions Options { get; }

    /// <summary>The parameters stepped.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters.Tensors;

    /// <summary>The buffer set used when <see cref="Step"/> is given none (null without momentum).</summary>
    public MomentumBuffers? DefaultBuffers { get; }

    /// <summary>A new zeroed buffer set for these parameters (the caller owns it).</summary>
    public MomentumBuffers CreateBuffers() => new(_parameters.ZerosLike());

    /// <summary>Applies one update from the parameters' gradients.</summary>
    public unsafe void Step(double? learningRate = null, MomentumBuffers? buffers = null)
    {
        var set = buffers ?? DefaultBuffers;
        if (Options.Momentum != 0 && set is null) throw new InvalidOperationException("Momentum SGD needs a buffer set.");
        if (set is not null && set.Buffers.Count != _parameters.Count)
            throw new ArgumentException("The buffer set belongs to another parameter list.");
        var ps = _parameters.Pointers;
        var bs = set?.Buffers.Pointers;
        fixed (IntPtr* p = ps)
        fixed (IntPtr* b = bs)
            Status.Check(OptimNative.kst_sgd_step(p, b, ps.Length, learningRate ?? Options.LearningRate, Options.Momentum,
                Options.WeightDecay, Options.Nesterov ? 1 : 0, (int)Options.Untouched));
    }

    /// <summary>Drops all gradients (set-to-none semantics).</summary>
    public void ZeroGrad() => Gradients.ZeroGrad(_parameters);

    /// <summary>Frees the default buffer set.</summary>
    public void Dispose() => DefaultBuffers?.Dispose();
}
