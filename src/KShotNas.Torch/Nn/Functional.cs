using KShotNas.Torch.Native;

namespace KShotNas.Torch.Nn;

/// <summary>How a loss reduces over the batch.</summary>
public enum Reduction
{
    /// <summary>One value per sample.</summary>
    None = 0,
    /// <summary>Mean over the batch.</summary>
    Mean = 1,
    /// <summary>Sum over the batch.</summary>
    Sum = 2,
}

/// <summary>How <see cref="Functional.NormalizedSum"/> reads a term.</summary>
public enum SumTerm
{
    /// <summary>As it is.</summary>
    AsIs = 0,
    /// <summary>Batch-normalized with its batch's own statistics, non-affine (<see cref="Functional.BatchNorm"/> in training mode).</summary>
    Normalized = 1,
    /// <summary>3x3 average pooling, stride 1, padding 1, padding not counted (NAS-Bench-201's pooling edge).</summary>
    AvgPool3x3 = 2,
}

/// <summary>Stateless neural-network functions (the <c>torch.nn.functional</c> subset the search spaces need).</summary>
public static class Functional
{
    private static IntPtr OrNull(Tensor? t) => t?.Ptr ?? IntPtr.Zero;

    /// <summary>2-D convolution; <paramref name="groups"/> = channels gives a depthwise convolution.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1) =>
        Tensor.From(NnNative.kst_conv2d(input.Ptr, weight.Ptr, OrNull(bias), stride, stride, padding, padding, dilation,
            groups, out var p), p);

    /// <summary>
    /// Batch normalization. Weight/bias may be null (non-affine); running statistics may be null when
    /// <paramref name="training"/> is true, which normalizes with batch statistics always (the NB201 supernet recipe).
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum = 0.1, double eps = 1e-5) =>
        Tensor.From(NnNative.kst_batch_norm(input.Ptr, OrNull(weight), OrNull(bias), OrNull(runningMean), OrNull(runningVar),
            training ? 1 : 0, momentum, eps, out var p), p);

    /// <summary>
    /// <see cref="BatchNorm"/> written into <paramref name="target"/> (a tensor of the input's shape, or the input itself
    /// to normalize in place), or added to it when <paramref name="accumulate"/> is true, then the target's ReLU when
    /// <paramref name="relu"/> is true; returns the target. Without a gradient one pass reads the input and writes the
    /// target (no output tensor, and the add and the ReLU cost no pass of their own: scoring's sums of normalized
    /// convolutions); with one, ATen's batch norm and an in-place copy or add (and ReLU), which autograd checks as usual.
    /// </summary>
    public static Tensor BatchNormInto(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, Tensor target, bool accumulate, double momentum = 0.1, double eps = 1e-5, bool relu = false)
    {
        Status.Check(NnNative.kst_batch_norm_into(input.Ptr, OrNull(weight), OrNull(bias), OrNull(runningMean),
            OrNull(runningVar), training ? 1 : 0, momentum, eps, target.Ptr, accumulate ? 1 : 0, relu ? 1 : 0));
        return target;
    }

    /// <summary>
    /// <paramref name="target"/> = t0 + t1 + ..., added left to right, where t_i is <paramref name="terms"/>[i] read as
    /// <paramref name="kinds"/>[i] says (as it is, batch-normalized with its batch's statistics, or 3x3 average-pooled);
    /// then the ReLU when <paramref name="relu"/> is true, or, with <paramref name="reluCopy"/>, the sum in
    /// <paramref name="target"/> and its ReLU in <paramref name="reluCopy"/>. Only the first term may be the target itself,
    /// and not a pooled one. One pass through memory writes the whole sum (after one statistics pass per normalized term),
    /// pooling channels-last images as it reaches them, where a call per term wrote the target once each and a pooled
    /// term was written and read again: a cell node of a scoring forward. The same float operations in the same order as
    /// <see cref="BatchNorm"/>, <see cref="AvgPool2d"/> and adds. Not differentiable: call it with gradients off
    /// (<see cref="NoGradScope"/>).
    /// </summary>
    public static Tensor NormalizedSum(IReadOnlyList<Tensor> terms, IReadOnlyList<SumTerm> kinds, Tensor target, bool relu = false,
        Tensor? reluCopy = null, double eps = 1e-5)
    {
        CallNormalizedSum(terms, kinds, target, relu, reluCopy, eps, pool2x2: false);
        return target;
    }

    /// <summary>
    /// <see cref="NormalizedSum"/>, and in the same pass the 2x2 stride-2 average pooling of the sum (before the ReLU),
    /// the values <c>AvgPool2d(sum, 2, 2)</c> gives, pooled from each image while the pass has it in cache: a
    /// reduction's shortcut then does not read the sum again. Returns the pooled tensor ([N, C, H / 2, W / 2], in the
    /// target's layout); <paramref name="target"/> gets the sum (or its ReLU) as in <see cref="NormalizedSum"/>. The
    /// target must be 4-D with even sides.
    /// </summary>
    public static Tensor NormalizedSumPooled(IReadOnlyList<Tensor> terms, IReadOnlyList<SumTerm> kinds, Tensor target, bool relu = false,
        Tensor? reluCopy = null, double eps = 1e-5) =>
        CallNormalizedSum(terms, kinds, target, relu, reluCopy, eps, pool2x2: true)!;

    private static unsafe Tensor? CallNormalizedSum(IReadOnlyList<Tensor> terms, IReadOnlyList<SumTerm> kinds, Tensor target, bool relu,
        Tensor? reluCopy, double eps, bool pool2x2)
    {
        if (terms.Count == 0 || terms.Count != kinds.Count)
            throw new ArgumentException("NormalizedSum needs at least one term and one kind per term.", nameof(kinds));
        IntPtr pooled = IntPtr.Zero;
        var status = NnNative.kst_normalized_sum(terms.Select(t => t.Ptr).ToArray(), kinds.Select(k => (int)k).ToArray(),
            terms.Count, eps, target.Ptr, relu ? 1 : 0, OrNull(reluCopy), pool2x2 ? &pooled : null);
        if (!pool2x2)
        {
            Status.Check(status);
            return null;
        }
        return Tensor.From(status, pooled);
    }

    /// <summary>
    /// Per-channel mean and biased variance of a float CPU tensor [N, C, ...] over every dimension but 1, in double:
    /// what batch norm with batch statistics normalizes with, in one native call (one chunk's share when a large batch
    /// runs as chunks, <c>ChunkedBatchStatistics</c>).
    /// </summary>
    public static unsafe (double[] Mean, double[] Var) ChannelMoments(Tensor input)
    {
        var channels = input.Size(1);
        var mean = new double[channels];
        var var = new double[channels];
        fixed (double* m = mean, v = var)
            Status.Check(NnNative.kst_channel_moments(input.Ptr, m, v, channels));
        return (mean, var);
    }

    /// <summary>y = x W^T + b.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        Tensor.From(NnNative.kst_linear(input.Ptr, weight.Ptr, OrNull(bias), out var p), p);

    /// <summary>
    /// 2-D average pooling. 3x3 windows at stride 1 with padding 1 (NAS-Bench-201's pooling edge) run as a separable box
    /// sum, and 2x2 windows at stride 2 on even sides as a sum of the four taps: several times faster than libtorch's CPU
    /// kernel, and different from it by rounding only.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, int kernel, int? stride = null, int padding = 0, bool countIncludePad = true,
        bool ceilMode = false) =>
        Tensor.From(NnNative.kst_pool2d(0, input.Ptr, kernel, stride ?? kernel, padding, countIncludePad ? 1 : 0,
            ceilMode ? 1 : 0, out var p), p);

    /// <summary>
    /// <paramref name="target"/> += <see cref="AvgPool2d"/>(<paramref name="input"/>, ...), in place; returns the target.
    /// Without a gradient, 3x3 stride-1 pooling is added as it is computed (no pooled tensor, no second pass: scoring's
    /// sums of pooled nodes), with the same values as pooling, then adding.
    /// </summary>
    public static Tensor AvgPool2dAddTo(Tensor target, Tensor input, int kernel, int? stride = null, int padding = 0,
        bool countIncludePad = true)
    {
        Status.Check(NnNative.kst_avg_pool2d_add_(target.Ptr, input.Ptr, kernel, stride ?? kernel, padding, countIncludePad ? 1 : 0));
        return target;
    }

    /// <summary>2-D average pooling through libtorch's own kernel for every shape: the reference <see cref="AvgPool2d"/>'s box sum is checked and timed against.</summary>
    public static Tensor AvgPool2dReference(Tensor input, int kernel, int? stride = null, int padding = 0, bool countIncludePad = true) =>
        Tensor.From(NnNative.kst_pool2d(2, input.Ptr, kernel, stride ?? kernel, padding, countIncludePad ? 1 : 0, 0, out var p), p);

    /// <summary>2-D max pooling.</summary>
    public static Tensor MaxPool2d(Tensor input, int kernel, int? stride = null, int padding = 0, bool ceilMode = false) =>
        Tensor.From(NnNative.kst_pool2d(1, input.Ptr, kernel, stride ?? kernel, padding, 0, ceilMode ? 1 : 0, out var p), p);

    /// <summary>Adaptive average pooling to the given output size (1x1 = global average pooling).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outH = 1, int outW = 1) =>
        Tensor.From(NnNative.kst_adaptive_avg_pool2d(input.Ptr, outH, outW, out var p), p);

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor input, long dim) => Tensor.From(NnNative.kst_softmax(0, input.Ptr, dim, out var p), p);

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor input, long dim) => Tensor.From(NnNative.kst_softmax(1, input.Ptr, dim, out var p), p);

    /// <summary>Cross-entropy of logits against int64 class targets, with optional label smoothing.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, double labelSmoothing = 0, Reduction reduction = Reduction.Mean)
    {
        if (labelSmoothing is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1].");
        return Tensor.From(NnNative.kst_cross_entropy(logits.Ptr, target.Ptr, labelSmoothing, (int)reduction, out var p), p);
    }

    /// <summary>Dropout with drop probability <paramref name="p"/> (identity when not training).</summary>
    public static Tensor Dropout(Tensor input, double p, bool training) =>
        Tensor.From(NnNative.kst_dropout(input.Ptr, p, training ? 1 : 0, out var r), r);

    /// <summary>Share of rows whose arg-max equals the target.</summary>
    public static double Accuracy(Tensor logits, Tensor target)
    {
        using var scope = TensorScope.Begin();
        return logits.ArgMax(1).Eq(target).To(DType.Float32).Mean().ToDouble();
    }
}
