using KShotNas.Spaces;
using KShotNas.Torch;

namespace KShotNas.KShot;

/// <summary>
/// The width regularizer r_c (the seeds name it and its purpose, not its formula). Our design, non-parametric:
/// among the m paths of a simplex-net step, every pair (i, j) whose widths differ is pushed apart in proportion to
/// how much they differ:
/// r_c = -(1/P) sum_{i&lt;j} d_w(i, j) ||lambda_i - lambda_j||^2, with d_w(i, j) the mean over layers of
/// |f_i - f_j| / (f_max - f_min) for width fractions f, and P the number of pairs with d_w &gt; 0.
/// Minimizing a * r_c enlarges the code distance between different widths; pairs of equal widths are untouched.
/// </summary>
public sealed class WidthRegularizer
{
    private readonly MobileNetV2Space _space;

    private WidthRegularizer(MobileNetV2Space space) => _space = space;

    /// <summary>The regularizer of a space, or null when the space searches no widths.</summary>
    public static WidthRegularizer? For(SearchSpace space) =>
        space is MobileNetV2Space { SearchesWidth: true } m ? new WidthRegularizer(m) : null;

    /// <summary>d_w between two architectures, in [0, 1].</summary>
    public double Distance(Architecture a, Architecture b)
    {
        var layers = _space.LayerSpecs.Count;
        var f = _space.Options.WidthFractions;
        var range = f.Max() - f.Min();
        double sum = 0;
        for (var i = 0; i < layers; i++) sum += Math.Abs(f[a[layers + i]] - f[b[layers + i]]) / range;
        return sum / layers;
    }

    /// <summary>
    /// The width-weighted mean squared code distance over <paramref name="pairs"/>:
    /// sum d_w ||lambda_p - lambda_q||^2 / sum d_w. How far a simplex-net keeps different widths apart.
    /// </summary>
    public double WeightedCodeDistance(SimplexNet simplex, IEnumerable<(Architecture P, Architecture Q)> pairs)
    {
        double weighted = 0, weights = 0;
        foreach (var (p, q) in pairs)
        {
            var codes = simplex.CodeValues([p, q]);
            var w = Distance(p, q);
            weighted += w * codes[0].Zip(codes[1], (u, v) => (double)(u - v) * (u - v)).Sum();
            weights += w;
        }
        return weights == 0 ? 0 : weighted / weights;
    }

    /// <summary>r_c for codes [m, K] of <paramref name="paths"/> (a scalar tensor with gradient to the codes).</summary>
    public Tensor Term(Tensor codes, IReadOnlyList<Architecture> paths)
    {
        var m = paths.Count;
        var weights = new float[m * m];
        var pairs = 0;
        for (var i = 0; i < m; i++)
            for (var j = i + 1; j < m; j++)
            {
                var d = (float)Distance(paths[i], paths[j]);
                weights[i * m + j] = d;
                if (d > 0) pairs++;
            }
        using var scope = TensorScope.Begin();
        if (pairs == 0) return codes.Sum().Mul(0).MoveToOuterScope();
        var w = Tensor.FromSpan<float>(weights, [m, m]);
        var sq = codes.Square().Sum([1], keepDim: true);                    // [m, 1]
        var dist = sq + sq.Permute(1, 0) - codes.MatMul(codes.Permute(1, 0)).Mul(2); // ||l_i - l_j||^2
        return dist.Mul(w).Sum().Div(-pairs).MoveToOuterScope();
    }
}
