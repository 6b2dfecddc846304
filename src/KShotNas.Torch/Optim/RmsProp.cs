using KShotNas.Torch.Native;

namespace KShotNas.Torch.Optim;

/// <summary>Options of <see cref="RmsProp"/>.</summary>
public sealed class RmsPropOptions
{
    /// <summary>Learning rate used when <see cref="RmsProp.Step"/> is given none.</summary>
    public double LearningRate { get; set; } = 0.01;
    /// <summary>Smoothing constant of the squared-gradient average.</summary>
    public double Alpha { get; set; } = 0.99;
    /// <summary>Added for numerical stability.</summary>
    public double Eps { get; set; } = 1e-8;
    /// <summary>Momentum (0 disables it).</summary>
    public double Momentum { get; set; }
    /// <summary>L2 weight decay.</summary>
    public double WeightDecay { get; set; }
    /// <summary>TensorFlow's form sqrt(v + eps) (the seeds' ImageNet recipe) instead of PyTorch's sqrt(v) + eps.</summary>
    public bool EpsInsideSqrt { get; set; }
}

/// <summary>RMSProp (PyTorch semantics, optional TensorFlow epsilon placement); one fused native call per step.</summary>
public sealed class RmsProp : IDisposable
{
    private readonly ParameterList _parameters;
    private readonly ParameterList _squareAvg;
    private readonly ParameterList? _momentum;

    /// <summary>Creates the optimizer and its state.</summary>
    public RmsProp(IReadOnlyList<Tensor> parameters, RmsPropOptions? options = null)
    {
        Options = options ?? new RmsPropOptions();
        _parameters = new ParameterList(parameters);
        _squareAvg = _parameters.ZerosLike();
        _momentum = Options.Momentum > 0 ? _parameters.ZerosLike() : null;
    }

    /// <summary>The options.</summary>
    public RmsPropOptions Options { get; }

    /// <summary>Squared-gradient averages, one per parameter.</summary>
    public IReadOnlyList<Tensor> SquareAverages => _squareAvg.Tensors;

    /// <summary>Applies one update.</summary>
    public unsafe void Step(double? learningRate = null)
    {
        var ps = _parameters.Pointers;
        fixed (IntPtr* p = ps)
        fixed (IntPtr* s = _squareAvg.Pointers)
        fixed (IntPtr* m = _momentum?.Pointers)
            Status.Check(OptimNative.kst_rmsprop_step(p, s, m, ps.Length, learningRate ?? Options.LearningRate, Options.Alpha,
                Options.Eps, Options.Momentum, Options.WeightDecay, Options.EpsInsideSqrt ? 1 : 0));
    }

    /// <summary>Drops all gradients.</summary>
    public void ZeroGrad() => Gradients.ZeroGrad(_parameters);

    /// <summary>Frees the optimizer state.</summary>
    public void Dispose()
    {
        _squareAvg.DisposeTensors();
        _momentum?.DisposeTensors();
    }
}
