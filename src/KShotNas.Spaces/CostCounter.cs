namespace KShotNas.Spaces;

/// <summary>
/// Accumulates the cost of a network layer by layer, with the project's conventions: FLOPs are
/// multiply-accumulates of convolutions (k*k*in*out*H*W/groups) and linear layers (in*out); params count
/// every trainable scalar; the complexity score counts conv and linear weights only.
/// </summary>
public sealed class CostCounter
{
    private long _params, _flops, _complexity;

    /// <summary>A convolution producing an <paramref name="outH"/> x <paramref name="outW"/> map.</summary>
    public CostCounter Conv(long inC, long outC, int kernel, long outH, long outW, long groups = 1, bool bias = false)
    {
        var weights = kernel * kernel * inC / groups * outC;
        _params += weights + (bias ? outC : 0);
        _complexity += weights;
        _flops += weights * outH * outW;
        return this;
    }

    /// <summary>An affine batch norm (2 parameters per channel; no FLOPs by convention).</summary>
    public CostCounter BatchNorm(long channels)
    {
        _params += 2 * channels;
        return this;
    }

    /// <summary>A linear layer.</summary>
    public CostCounter Linear(long inF, long outF, bool bias = true)
    {
        _params += inF * outF + (bias ? outF : 0);
        _complexity += inF * outF;
        _flops += inF * outF;
        return this;
    }

    /// <summary>The totals.</summary>
    public NetworkProfile Result => new(_params, _flops, _complexity);
}
