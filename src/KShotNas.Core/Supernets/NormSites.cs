using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

/// <summary>How a supernet's batch norms normalize.</summary>
public enum SupernetNorm
{
    /// <summary>Always the batch's own statistics, in training and evaluation (the NB201 supernet recipe; evaluate with large batches).</summary>
    BatchStatistics,
    /// <summary>Running statistics recalibrated per path on a few training batches before evaluation.</summary>
    Recalibrated,
}

/// <summary>
/// The supernet's batch-norm sites: non-affine normalization, one site per place an operation normalizes,
/// with per-site running statistics when <see cref="SupernetNorm.Recalibrated"/> is chosen.
/// </summary>
public sealed class NormSites : Module
{
    private readonly List<(Tensor Mean, Tensor Var)?> _stats = new();
    private double? _recalibrationMomentum;
    private bool _useRunning;

    /// <summary>Creates the sites' container.</summary>
    public NormSites(SupernetNorm mode) => Mode = mode;

    /// <summary>The normalization mode.</summary>
    public SupernetNorm Mode { get; }

    /// <summary>Adds a site for <paramref name="channels"/> channels.</summary>
    public int Add(int channels)
    {
        if (Mode == SupernetNorm.Recalibrated)
        {
            var i = _stats.Count;
            _stats.Add((RegisterBuffer($"mean{i}", Tensor.Zeros([channels])), RegisterBuffer($"var{i}", Tensor.Ones([channels]))));
        }
        else
        {
            _stats.Add(null);
        }
        return _stats.Count - 1;
    }

    /// <summary>
    /// Normalizes <paramref name="x"/> at a site. Inside <see cref="ChunkedBatchStatistics.Run{T}"/>, batch statistics are
    /// those of all chunks together.
    /// </summary>
    public Tensor Apply(Tensor x, int site)
    {
        if (_stats[site] is not { } full)
            return ChunkedBatchStatistics.Current is { } chunked ? chunked.Normalize(x) : Functional.BatchNorm(x, null, null, null, null, training: true);
        // Width search runs a site on its first channels: narrowed statistics are views, so updates reach the full buffers.
        var channels = x.Size(1);
        (Tensor Mean, Tensor Var) s = channels == full.Mean.Size(0) ? full : (full.Mean.Narrow(0, 0, channels), full.Var.Narrow(0, 0, channels));
        if (_recalibrationMomentum is { } m) return Functional.BatchNorm(x, s.Mean, s.Var, null, null, training: true, momentum: m);
        if (!_useRunning && ChunkedBatchStatistics.Current is { } c) return c.Normalize(x);
        return Functional.BatchNorm(x, _useRunning ? s.Mean : null, _useRunning ? s.Var : null, null, null, training: !_useRunning);
    }

    /// <summary>
    /// <see cref="Apply"/> in place when nothing else needs <paramref name="x"/> (it wants no gradient, as when scoring),
    /// which saves a tensor's allocation and write-allocate traffic; otherwise <see cref="Apply"/>. With
    /// <paramref name="relu"/> the result's ReLU, in the same pass when in place. Pass only a tensor the caller owns (a
    /// convolution's fresh output).
    /// </summary>
    public Tensor ApplyInPlace(Tensor x, int site, bool relu = false)
    {
        if (!x.RequiresGrad && OnePassBatchStatistics(site))
            return Functional.BatchNormInto(x, null, null, null, null, training: true, target: x, accumulate: false, relu: relu);
        var y = Apply(x, site); // a new tensor
        return relu ? ReluOverwriting(y) : y;
    }

    /// <summary>
    /// <paramref name="sum"/> += <see cref="Apply"/>(<paramref name="x"/>, <paramref name="site"/>), in place, then with
    /// <paramref name="relu"/> the sum's ReLU; returns the result (<paramref name="sum"/> itself unless a gradient needs
    /// the ReLU out of place). Without a gradient the normalization is added, and activated, as it is computed (one pass
    /// instead of normalize, add, ReLU): the same values as the steps, since the add is the same float addition.
    /// </summary>
    public Tensor AddTo(Tensor sum, Tensor x, int site, bool relu = false)
    {
        if (OnePassBatchStatistics(site))
            return Functional.BatchNormInto(x, null, null, null, null, training: true, target: sum, accumulate: true, relu: relu);
        sum.AddInPlace(Apply(x, site));
        return relu ? ReluOverwriting(sum) : sum;
    }

    /// <summary>
    /// True when <see cref="Sum"/> runs as one native pass: every site normalizes with the whole batch's own statistics
    /// (<see cref="SupernetNorm.BatchStatistics"/>, not inside <see cref="ChunkedBatchStatistics.Run{T}"/>) and gradients
    /// are off, as when scoring.
    /// </summary>
    internal bool SumsInOnePass => Mode == SupernetNorm.BatchStatistics && ChunkedBatchStatistics.Current is null && !TorchRuntime.GradEnabled;

    /// <summary>
    /// <paramref name="target"/> = the sum of <paramref name="terms"/> in order, each read as <paramref name="kinds"/>
    /// says (normalized, pooled or as it is), then its ReLU (<see cref="Functional.NormalizedSum"/>); only when
    /// <see cref="SumsInOnePass"/>. A site's statistics are its batch's own, so the sites need no index here. Returns
    /// the sum's 2x2 pooling when <paramref name="pool2x2"/> asks for it (<see cref="Functional.NormalizedSumPooled"/>),
    /// else null.
    /// </summary>
    internal static Tensor? Sum(IReadOnlyList<Tensor> terms, IReadOnlyList<SumTerm> kinds, Tensor target, bool relu, Tensor? reluCopy,
        bool pool2x2 = false)
    {
        if (pool2x2) return Functional.NormalizedSumPooled(terms, kinds, target, relu, reluCopy);
        Functional.NormalizedSum(terms, kinds, target, relu, reluCopy);
        return null;
    }

    /// <summary>
    /// ReLU of an intermediate nothing reads afterwards: without gradients in place (clamp_min(0) is libtorch's ReLU),
    /// which saves a tensor and its write-allocate traffic; with them a new tensor, as autograd's clamp_min_ would need
    /// the overwritten input for its backward.
    /// </summary>
    internal static Tensor ReluOverwriting(Tensor x) => x.RequiresGrad ? x.Relu() : x.ClampMinInPlace(0);

    // Apply's plain batch-statistics case, the one the fused kernels serve (not chunks, not running statistics).
    private bool OnePassBatchStatistics(int site) => _stats[site] is null && ChunkedBatchStatistics.Current is null;

    /// <summary>
    /// Recalibrates running statistics: resets them, then <paramref name="forward"/> runs once per batch with a
    /// momentum of 1/(t+1), which leaves the exact mean over the batches. Afterwards evaluation uses them.
    /// </summary>
    public void Recalibrate(int batches, Action<int> forward)
    {
        if (Mode != SupernetNorm.Recalibrated) throw new InvalidOperationException("This supernet normalizes with batch statistics only.");
        using (NoGradScope.Begin())
            foreach (var s in _stats)
            {
                s!.Value.Mean.Zero();
                s.Value.Var.Fill(1);
            }
        try
        {
            for (var t = 0; t < batches; t++)
            {
                _recalibrationMomentum = 1.0 / (t + 1);
                forward(t);
            }
        }
        finally
        {
            _recalibrationMomentum = null;
        }
        _useRunning = true;
    }

    /// <summary>Back to batch statistics (training always uses them).</summary>
    public void UseBatchStatistics() => _useRunning = false;

    /// <summary>Not a stand-alone layer.</summary>
    public override Tensor Forward(Tensor input) => throw new NotSupportedException("Use Apply(x, site).");
}
