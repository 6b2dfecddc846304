using KShotNas.Torch.Native;

namespace KShotNas.Torch.Nn;

/// <summary>Weight initializers (in place, not recorded by autograd), matching PyTorch's formulas.</summary>
public static class Init
{
    /// <summary>Fills with U(low, high).</summary>
    public static void Uniform(Tensor t, double low, double high) => Status.Check(NnNative.kst_init_(0, t.Ptr, low, high));

    /// <summary>Fills with N(mean, std^2).</summary>
    public static void Normal(Tensor t, double mean, double std) => Status.Check(NnNative.kst_init_(1, t.Ptr, mean, std));

    /// <summary>Fills with a constant.</summary>
    public static void Constant(Tensor t, double value)
    {
        using var _ = NoGradScope.Begin();
        t.Fill(value);
    }

    /// <summary>fan_in and fan_out of a weight of shape [out, in, k...] (PyTorch's definition).</summary>
    public static (long FanIn, long FanOut) Fans(long[] shape)
    {
        if (shape.Length < 2) throw new ArgumentException("Fan-in/fan-out need a tensor with at least 2 dimensions.");
        long receptive = 1;
        for (var i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>kaiming_uniform_(a): U(-b, b), b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)).</summary>
    public static void KaimingUniform(Tensor t, double a = 0)
    {
        var fanIn = Fans(t.Shape).FanIn;
        var bound = Math.Sqrt(2.0 / (1 + a * a)) * Math.Sqrt(3.0 / fanIn);
        Uniform(t, -bound, bound);
    }

    /// <summary>kaiming_normal_ with mode fan_out and ReLU gain (common for CNN retraining).</summary>
    public static void KaimingNormalFanOut(Tensor t)
    {
        var fanOut = Fans(t.Shape).FanOut;
        Normal(t, 0, Math.Sqrt(2.0 / fanOut));
    }

    /// <summary>
    /// PyTorch's default for Conv2d and Linear: weight kaiming_uniform_(a = sqrt 5), i.e. U(+-1/sqrt(fan_in));
    /// bias U(+-1/sqrt(fan_in)).
    /// </summary>
    public static void DefaultLayer(Tensor weight, Tensor? bias)
    {
        KaimingUniform(weight, Math.Sqrt(5));
        if (bias is null) return;
        var bound = 1 / Math.Sqrt(Fans(weight.Shape).FanIn);
        Uniform(bias, -bound, bound);
    }
}
