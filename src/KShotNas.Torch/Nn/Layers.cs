namespace KShotNas.Torch.Nn;

/// <summary>2-D convolution with PyTorch's default initialization.</summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer; weight shape [out, in/groups, k, k].</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int groups = 1, bool bias = true)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Channels ({inChannels} -> {outChannels}) must be divisible by groups ({groups}).");
        (Stride, Padding, Groups) = (stride, padding, groups);
        Weight = RegisterParameter("weight", Tensor.Empty([outChannels, inChannels / groups, kernelSize, kernelSize]));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty([outChannels])) : null;
        Init.DefaultLayer(Weight, Bias);
    }

    /// <summary>Kernel weights.</summary>
    public Tensor Weight { get; }
    /// <summary>Bias, or null.</summary>
    public Tensor? Bias { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }
    /// <summary>Groups (channels for depthwise).</summary>
    public int Groups { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, 1, Groups);
}

/// <summary>Batch normalization over channels, optionally affine and with running statistics.</summary>
public sealed class BatchNorm2d : Module
{
    /// <summary>Creates the layer (weight 1, bias 0, running mean 0, running var 1).</summary>
    public BatchNorm2d(int features, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    {
        (Eps, Momentum) = (eps, momentum);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([features]));
            Bias = RegisterParameter("bias", Tensor.Zeros([features]));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([features]));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([features]));
        }
    }

    /// <summary>Scale, or null when not affine.</summary>
    public Tensor? Weight { get; }
    /// <summary>Shift, or null when not affine.</summary>
    public Tensor? Bias { get; }
    /// <summary>Running mean, or null when statistics are not tracked.</summary>
    public Tensor? RunningMean { get; }
    /// <summary>Running variance, or null when statistics are not tracked.</summary>
    public Tensor? RunningVar { get; }
    /// <summary>Added to the variance.</summary>
    public double Eps { get; }
    /// <summary>Running-statistics momentum.</summary>
    public double Momentum { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) =>
        // Without running statistics the layer always normalizes with the batch's own statistics.
        Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, IsTraining || RunningMean is null, Momentum, Eps);
}

/// <summary>Fully connected layer with PyTorch's default initialization.</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer; weight shape [out, in].</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        Weight = RegisterParameter("weight", Tensor.Empty([outFeatures, inFeatures]));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty([outFeatures])) : null;
        Init.DefaultLayer(Weight, Bias);
    }

    /// <summary>Weights.</summary>
    public Tensor Weight { get; }
    /// <summary>Bias, or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);
}

/// <summary>A parameter-free module defined by a function (activations, pooling, reshapes).</summary>
public sealed class Lambda : Module
{
    private readonly Func<Tensor, bool, Tensor> _fn;

    /// <summary>Wraps <paramref name="fn"/>(input, isTraining); <paramref name="name"/> is shown by ToString.</summary>
    public Lambda(string name, Func<Tensor, bool, Tensor> fn) => (Name, _fn) = (name, fn);

    /// <summary>What the function is.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => _fn(input, IsTraining);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>Factories for the parameter-free layers.</summary>
public static class Layers
{
    /// <summary>ReLU.</summary>
    public static Lambda ReLU() => new("ReLU", (x, _) => x.Relu());
    /// <summary>ReLU6.</summary>
    public static Lambda ReLU6() => new("ReLU6", (x, _) => x.Relu6());
    /// <summary>Max pooling.</summary>
    public static Lambda MaxPool2d(int kernel, int? stride = null, int padding = 0) =>
        new($"MaxPool2d({kernel})", (x, _) => Functional.MaxPool2d(x, kernel, stride, padding));
    /// <summary>Average pooling.</summary>
    public static Lambda AvgPool2d(int kernel, int? stride = null, int padding = 0, bool countIncludePad = true) =>
        new($"AvgPool2d({kernel})", (x, _) => Functional.AvgPool2d(x, kernel, stride, padding, countIncludePad));
    /// <summary>Global average pooling to 1x1.</summary>
    public static Lambda GlobalAvgPool() => new("GlobalAvgPool", (x, _) => Functional.AdaptiveAvgPool2d(x));
    /// <summary>Flattens all but the batch dimension.</summary>
    public static Lambda Flatten() => new("Flatten", (x, _) => x.Flatten(1));
    /// <summary>Dropout, active in training mode.</summary>
    public static Lambda Dropout(double p) => new($"Dropout({p})", (x, training) => Functional.Dropout(x, p, training));
}

/// <summary>Runs modules in order; intermediate handles are freed as soon as the next layer has run.</summary>
public sealed class Sequential : Module
{
    private readonly Module[] _layers;

    /// <summary>Registers the layers under the names "0", "1", ...</summary>
    public Sequential(params Module[] layers)
    {
        _layers = layers;
        for (var i = 0; i < layers.Length; i++) RegisterModule(i.ToString(), layers[i]);
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in _layers)
        {
            var y = layer.Forward(x);
            // The autograd graph holds its own references, so dropping the intermediate handle is safe.
            if (!ReferenceEquals(x, input) && !ReferenceEquals(x, y)) x.Dispose();
            x = y;
        }
        return x;
    }
}
