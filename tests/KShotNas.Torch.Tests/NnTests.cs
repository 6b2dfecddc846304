using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Native;
using static KShotNas.Torch.Tests.TestSupport;

namespace KShotNas.Torch.Tests;

public class NnTests
{
    public NnTests() => Init();

    private static readonly float[] Grid3 = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public void Conv2dComputesHandCheckedSums()
    {
        using var scope = TensorScope.Begin();
        var x = T(Grid3, 1, 1, 3, 3);
        var ones = Tensor.Ones([1, 1, 2, 2]);
        // 2x2 windows of [[1,2,3],[4,5,6],[7,8,9]]
        Close([12, 16, 24, 28], Functional.Conv2d(x, ones).ToArray<float>());
        // stride 2 with padding 1 sees [0,0,0,1], [0,0,2,3], [0,4,0,7], [5,6,8,9]
        Close([1, 5, 11, 28], Functional.Conv2d(x, ones, stride: 2, padding: 1).ToArray<float>());
        // bias is added per output channel
        Close([13, 17, 25, 29], Functional.Conv2d(x, ones, T([1], 1)).ToArray<float>());
    }

    [Fact]
    public void DepthwiseConvKeepsChannelsApart()
    {
        using var scope = TensorScope.Begin();
        var x = T([1, 2, 3, 4, 10, 20, 30, 40], 1, 2, 2, 2);
        var w = T([1, 1, 1, 1, 2, 2, 2, 2], 2, 1, 2, 2);
        Close([10, 200], Functional.Conv2d(x, w, groups: 2).ToArray<float>());
    }

    [Fact]
    public void BatchNormUsesBatchOrRunningStatistics()
    {
        using var scope = TensorScope.Begin();
        // one channel, values 1..4: mean 2.5, biased variance 1.25
        var x = T([1, 2, 3, 4], 4, 1, 1, 1);
        var s = Math.Sqrt(1.25 + 1e-5);
        var expected = new[] { (float)(-1.5 / s), (float)(-0.5 / s), (float)(0.5 / s), (float)(1.5 / s) };
        Close(expected, Functional.BatchNorm(x, null, null, null, null, training: true).ToArray<float>(), 1e-5);

        var mean = Tensor.Zeros([1]);
        var variance = Tensor.Ones([1]);
        Functional.BatchNorm(x, mean, variance, null, null, training: true, momentum: 0.1);
        Assert.Equal(0.25, mean.ToDouble(), 5);               // 0.9*0 + 0.1*2.5
        Assert.Equal(0.9 + 0.1 * (5.0 / 3), variance.ToDouble(), 5); // running var uses the unbiased estimate
        // eval mode with affine weight 2 and bias 1: 2 * (x - mean)/sqrt(var + eps) + 1
        var y = Functional.BatchNorm(x, mean, variance, T([2], 1), T([1], 1), training: false);
        var sd = Math.Sqrt(variance.ToDouble() + 1e-5);
        Close([(float)(2 * (1 - 0.25) / sd + 1), (float)(2 * (2 - 0.25) / sd + 1)], y.ToArray<float>().AsSpan(0, 2), 1e-5);
        Assert.Throws<TorchException>(() => Functional.BatchNorm(x, null, null, null, null, training: false));
    }

    [Fact]
    public void LinearAndPoolingHaveKnownValues()
    {
        using var scope = TensorScope.Begin();
        var y = Functional.Linear(T([1, 2], 1, 2), T([1, 0, 1, 1, -1, 0.5f], 3, 2), T([0, 1, 0], 3));
        Close([1, 4, 0], y.ToArray<float>());
        var x = T(Grid3, 1, 1, 3, 3);
        Close([5, 6, 8, 9], Functional.MaxPool2d(x, 2, 1).ToArray<float>());
        Close([3, 4, 6, 7], Functional.AvgPool2d(x, 2, 1).ToArray<float>());
        // 3x3 average, stride 1, padding 1: the corner averages 4 real cells, or 9 cells with padding counted
        Assert.Equal((1 + 2 + 4 + 5) / 4.0, Functional.AvgPool2d(x, 3, 1, 1, countIncludePad: false).ToArray<float>()[0], 5);
        Assert.Equal((1 + 2 + 4 + 5) / 9.0, Functional.AvgPool2d(x, 3, 1, 1, countIncludePad: true).ToArray<float>()[0], 5);
        Close([5], Functional.AdaptiveAvgPool2d(x).ToArray<float>());
    }

    [Theory]
    [InlineData(4, 8, 28, 28, false)]
    [InlineData(3, 2, 7, 5, true)]
    [InlineData(2, 3, 1, 6, false)] // one row: every window sees 1 row
    [InlineData(2, 1, 1, 1, false)] // one pixel: the window is the pixel
    public void BoxSumAveragePoolMatchesLibtorchsKernelInValueAndGradient(int n, int c, int h, int w, bool countIncludePad)
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(11);
        var x = Tensor.Randn([n, c, h, w]);
        var upstream = Tensor.Randn([n, c, h, w]);
        var box = ValueAndGradient(x, upstream, t => Functional.AvgPool2d(t, 3, 1, 1, countIncludePad));
        var aten = ValueAndGradient(x, upstream, t => Functional.AvgPool2dReference(t, 3, 1, 1, countIncludePad));
        Close(aten.Value, box.Value, 1e-5);
        Close(aten.Grad, box.Grad, 1e-5);
        // a strided (non-contiguous) input takes the same path
        var strided = x.Narrow(3, w > 1 ? 1 : 0, Math.Max(1, w - 1));
        Close(Functional.AvgPool2dReference(strided, 3, 1, 1, countIncludePad).ToArray<float>(),
            Functional.AvgPool2d(strided, 3, 1, 1, countIncludePad).ToArray<float>(), 1e-5);
        // Without a gradient the one-pass kernel (pooling.cpp) serves the call: the same values, strided input too.
        using var noGrad = NoGradScope.Begin();
        foreach (var input in new[] { x, strided })
            Close(Functional.AvgPool2dReference(input, 3, 1, 1, countIncludePad).ToArray<float>(),
                Functional.AvgPool2d(input, 3, 1, 1, countIncludePad).ToArray<float>(), 1e-5);
    }

    /// <summary>
    /// Batch norm with batch statistics and no gradient wanted runs the shim's own kernel on float tensors
    /// (batch_norm.cpp). Against libtorch's kernel in double (which that path does not take): output and running
    /// statistics after the update, with and without the affine transform, far from zero mean, past the kernel's
    /// 1,024-value blocks, for rows not a multiple of its 8 lanes, on 2-D and strided input. With a gradient wanted, the
    /// float path is libtorch's and its gradient matches the double one.
    /// </summary>
    [Theory]
    [InlineData(16, 8, 12, 12, 0f, true)]
    [InlineData(3, 5, 7, 5, 100f, true)]
    [InlineData(2, 3, 40, 40, -3f, false)]
    [InlineData(64, 10, 1, 1, 7f, true)]
    public void BatchStatisticsWithoutGradientMatchLibtorchsKernel(int n, int c, int h, int w, float offset, bool affine)
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(13);
        var x0 = Tensor.Randn([n, c, h, w]) * 2 + offset;
        var weight = affine ? Tensor.Randn([c]) : null;
        var bias = affine ? Tensor.Randn([c]) : null;
        foreach (var x in new[] { x0, x0.Reshape(n, c * h * w).Narrow(1, 0, c), x0.Narrow(3, 0, Math.Max(1, w - 1)) })
        {
            (float[] Y, float[] Mean, float[] Var) Run(DType type)
            {
                var mean = Tensor.Zeros([c]).To(type);
                var var = Tensor.Ones([c]).To(type);
                Tensor y;
                using (NoGradScope.Begin())
                    y = Functional.BatchNorm(x.To(type), mean, var, weight?.To(type), bias?.To(type), training: true, momentum: 0.3);
                float[] F(Tensor t) => t.Detach().To(DType.Float32).ToArray<float>();
                return (F(y), F(mean), F(var));
            }
            var aten = Run(DType.Float64);
            var own = Run(DType.Float32);
            Close(aten.Y, own.Y, 2e-4);
            Close(aten.Mean, own.Mean, 2e-4);
            Close(aten.Var, own.Var, 2e-4);
            // Evaluation mode with given statistics (how chunked scoring normalizes): the shim's one-pass kernel in float.
            float[] Given(DType type)
            {
                using var noGrad = NoGradScope.Begin();
                var mean = Tensor.Full([c], offset).To(type);
                var var = (Tensor.Rand([c]) + 0.5).To(type);
                return Functional.BatchNorm(x.To(type), mean, var, weight?.To(type), bias?.To(type), training: false)
                    .To(DType.Float32).ToArray<float>();
            }
            TorchRuntime.ManualSeed(15);
            var givenAten = Given(DType.Float64);
            TorchRuntime.ManualSeed(15);
            Close(givenAten, Given(DType.Float32), 2e-4);
            // Training: libtorch's kernel in float, the same gradient as in double.
            var upstream = Tensor.Randn(x.Shape);
            var trained = ValueAndGradient(x, upstream, t => Functional.BatchNorm(t, null, null, weight, bias, training: true));
            var leaf = x.To(DType.Float64).Detach().WithRequiresGrad();
            var y = Functional.BatchNorm(leaf, null, null, weight?.To(DType.Float64), bias?.To(DType.Float64), training: true);
            (y * upstream.To(DType.Float64)).Sum().Backward();
            Close(y.Detach().To(DType.Float32).ToArray<float>(), trained.Value, 2e-4);
            Close(leaf.Grad!.To(DType.Float32).ToArray<float>(), trained.Grad, 2e-4);
        }
    }

    /// <summary>
    /// The per-channel moments chunked scoring merges equal the mean and biased variance computed in double, far from
    /// zero mean and on strided input; a wrong channel count or a non-float tensor is refused with a typed error.
    /// </summary>
    [Theory]
    [InlineData(16, 8, 12, 12, 0f)]
    [InlineData(3, 5, 7, 5, 100f)]
    [InlineData(64, 10, 1, 1, -7f)]
    public void ChannelMomentsMatchDoubleMeanAndBiasedVariance(int n, int c, int h, int w, float offset)
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(14);
        var x0 = Tensor.Randn([n, c, h, w]) * 3 + offset;
        foreach (var x in new[] { x0, x0.Narrow(3, 0, Math.Max(1, w - 1)) })
        {
            var (mean, var) = Functional.ChannelMoments(x);
            var d = x.To(DType.Float64);
            var expectedMean = d.Mean([0, 2, 3]).ToArray<double>();
            var expectedVar = (d - d.Mean([0, 2, 3], keepDim: true)).Square().Mean([0, 2, 3]).ToArray<double>();
            for (var ch = 0; ch < c; ch++)
            {
                Assert.Equal(expectedMean[ch], mean[ch], 1e-4 * (1 + Math.Abs(offset)));
                Assert.Equal(expectedVar[ch], var[ch], 1e-3 * expectedVar[ch]);
            }
        }
        Assert.Equal(NativeStatus.InvalidArgument, Assert.Throws<TorchException>(() => Functional.ChannelMoments(x0.To(DType.Float64))).Status);
    }

    [Theory]
    [InlineData(4, 8, 28, 28)]
    [InlineData(3, 2, 6, 4)]
    [InlineData(2, 3, 5, 6)] // odd height: libtorch's kernel (floor), same result
    public void TwoByTwoAveragePoolMatchesLibtorchsKernelInValueAndGradient(int n, int c, int h, int w)
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(12);
        var x = Tensor.Randn([n, c, h, w]);
        var upstream = Tensor.Randn([n, c, h / 2, w / 2]);
        var quad = ValueAndGradient(x, upstream, t => Functional.AvgPool2d(t, 2, 2));
        var aten = ValueAndGradient(x, upstream, t => Functional.AvgPool2dReference(t, 2, 2));
        Close(aten.Value, quad.Value, 1e-6);
        Close(aten.Grad, quad.Grad, 1e-6);
        using var noGrad = NoGradScope.Begin(); // the one-pass kernel, also on a strided (channel-sliced) input
        foreach (var input in new[] { x, x.Narrow(1, c > 1 ? 1 : 0, Math.Max(1, c - 1)) })
            Close(Functional.AvgPool2dReference(input, 2, 2).ToArray<float>(), Functional.AvgPool2d(input, 2, 2).ToArray<float>(), 1e-6);
    }

    /// <summary>
    /// Without a gradient, convolutions run channels-last (nn.cpp) and the shim's batch norm, moments and pooling read and
    /// write that layout (batch_norm.cpp, pooling.cpp). Against the NCHW path (an input that requires a gradient): the
    /// convolution's output, then every kernel on the channels-last output against the same kernel on the NCHW one,
    /// for one input channel (both layouts count as contiguous there), channel counts that do and do not divide the
    /// kernels' 64-value spans, strided and grouped convolutions and odd sides.
    /// </summary>
    [Theory]
    [InlineData(4, 1, 8, 3, 1, 1, 28)]
    [InlineData(3, 8, 8, 1, 1, 1, 14)]
    [InlineData(2, 8, 16, 3, 2, 1, 9)]
    [InlineData(3, 6, 10, 3, 1, 2, 7)]
    [InlineData(2, 24, 24, 3, 1, 24, 5)] // depthwise
    public void ChannelsLastWithoutGradientMatchesNchw(int n, int cin, int cout, int k, int stride, int groups, int size)
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(16);
        var x = Tensor.Randn([n, cin, size, size]) * 2 + 1;
        var w = Tensor.Randn([cout, cin / groups, k, k]);
        var nchw = Functional.Conv2d(x.Detach().WithRequiresGrad(), w, null, stride, k / 2, groups: groups).Detach();
        using var noGrad = NoGradScope.Begin();
        var cl = Functional.Conv2d(x, w, null, stride, k / 2, groups: groups);
        Close(nchw.ToArray<float>(), cl.ToArray<float>(), 1e-4);
        var mean = Tensor.Randn([cout]);
        var var = Tensor.Rand([cout]) + 0.5;
        foreach (var f in new Func<Tensor, Tensor>[]
                 {
                     t => Functional.BatchNorm(t, null, null, null, null, training: true),
                     t => Functional.BatchNorm(t, mean, var, null, null, training: false),
                     t => Functional.AvgPool2d(t, 3, 1, 1, countIncludePad: false),
                     t => Functional.AvgPool2d(t, 3, 1, 1, countIncludePad: true),
                     t => Functional.AvgPool2d(t, 2, 2),
                     t => t.Relu() + t,
                 })
            Close(f(nchw).ToArray<float>(), f(cl).ToArray<float>(), 2e-4);
        var (m1, v1) = Functional.ChannelMoments(nchw);
        var (m2, v2) = Functional.ChannelMoments(cl);
        Close(m1, m2, 1e-5 * (1 + m1.Max(Math.Abs)));
        Close(v1, v2, 1e-5 * (1 + v1.Max()));
    }

    /// <summary>
    /// BatchNormInto (scoring's fused normalize-and-add, batch_norm.cpp) gives bitwise the values of BatchNorm followed by
    /// an add (or, in place, of BatchNorm alone), then a ReLU when asked, running statistics included: in NCHW and
    /// channels-last, with batch and given statistics, affine or not, and through the fallback for a strided input or a
    /// target of the other layout. With a gradient wanted it is ATen's batch norm and an in-place add (and ReLU), which
    /// backpropagates; a target of another shape is refused.
    /// </summary>
    [Theory]
    [InlineData(6, 8, 9, true)]
    [InlineData(3, 5, 7, false)]
    [InlineData(4, 1, 6, false)]
    public void BatchNormIntoEqualsNormalizeThenAdd(int n, int c, int size, bool affine)
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(17);
        var weight = affine ? Tensor.Randn([c]) : null;
        var bias = affine ? Tensor.Randn([c]) : null;
        using (NoGradScope.Begin())
        {
            var nchw = Tensor.Randn([n, c, size, size]) * 3 + 2;
            var cl = Functional.Conv2d(Tensor.Randn([n, c, size, size]), Tensor.Randn([c, c, 3, 3]), null, 1, 1); // channels-last
            var strided = nchw.Narrow(3, 0, size - 1);
            foreach (var x in new[] { nchw, cl, strided })
                foreach (var training in new[] { true, false })
                {
                    var mean = Tensor.Randn([c]);
                    var var = Tensor.Rand([c]) + 0.5;
                    (Tensor Mean, Tensor Var) Stats() => (mean.Clone(), var.Clone());
                    var (m1, v1) = Stats();
                    var (m2, v2) = Stats();
                    var (m3, v3) = Stats();
                    var (m4, v4) = Stats();
                    var normalized = Functional.BatchNorm(x, m1, v1, weight, bias, training, momentum: 0.3);
                    // Targets: the layout the kernel writes in one pass (a clone keeps x's), and NCHW (the fallback for cl).
                    foreach (var relu in new[] { false, true })
                    foreach (var target in new[] { x.Clone() * 0.5, Tensor.Randn(x.Shape) })
                    {
                        var added = target + normalized;
                        var expected = (relu ? added.Relu() : added).ToArray<float>();
                        var (m, v) = Stats();
                        var returned = Functional.BatchNormInto(x, m, v, weight, bias, training, target, accumulate: true, momentum: 0.3, relu: relu);
                        Assert.Same(target, returned);
                        Assert.Equal(expected, target.ToArray<float>());
                        Assert.Equal(m1.ToArray<float>(), m.ToArray<float>());
                        Assert.Equal(v1.ToArray<float>(), v.ToArray<float>());
                    }
                    var inPlace = x.Clone();
                    Functional.BatchNormInto(inPlace, m2, v2, weight, bias, training, inPlace, accumulate: false, momentum: 0.3);
                    Assert.Equal(normalized.ToArray<float>(), inPlace.ToArray<float>());
                    Assert.Equal(v1.ToArray<float>(), v2.ToArray<float>());
                    var (m5, v5) = Stats();
                    var activated = Functional.BatchNormInto(x, m5, v5, weight, bias, training, x.Clone(), accumulate: false, momentum: 0.3, relu: true);
                    Assert.Equal(normalized.Relu().ToArray<float>(), activated.ToArray<float>());
                    var fresh = Functional.BatchNormInto(x, m3, v3, weight, bias, training, Tensor.Randn(x.Shape), accumulate: false, momentum: 0.3);
                    Assert.Equal(normalized.ToArray<float>(), fresh.ToArray<float>());
                    var e = Assert.Throws<TorchException>(() => Functional.BatchNormInto(x, m4, v4, weight, bias, training, Tensor.Zeros([n + 1, c, size, size]), accumulate: true));
                    Assert.Equal(NativeStatus.InvalidArgument, e.Status);
                    Assert.Contains("shape", e.Message);
                }
        }
        // With a gradient wanted: ATen's batch norm, then the add; the gradient reaches the input.
        var input = (Tensor.Randn([n, c, size, size]) + 1).WithRequiresGrad();
        var upstream = Tensor.Randn([n, c, size, size]);
        var sum = Tensor.Randn([n, c, size, size]);
        var fused = Functional.BatchNormInto(input, null, null, weight, bias, training: true, sum.Clone(), accumulate: true);
        (fused * upstream).Sum().Backward();
        var fusedGrad = input.Grad!.ToArray<float>();
        var reference = ValueAndGradient(input, upstream, t => sum + Functional.BatchNorm(t, null, null, weight, bias, training: true));
        Close(reference.Value, fused.Detach().ToArray<float>(), 1e-6);
        Close(reference.Grad, fusedGrad, 1e-6);
        input.Grad!.Zero();
        var activatedSum = Functional.BatchNormInto(input, null, null, weight, bias, training: true, sum.Clone(), accumulate: true, relu: true);
        (activatedSum * upstream).Sum().Backward();
        var activatedReference = ValueAndGradient(input, upstream, t => (sum + Functional.BatchNorm(t, null, null, weight, bias, training: true)).Relu());
        Close(activatedReference.Value, activatedSum.Detach().ToArray<float>(), 1e-6);
        Close(activatedReference.Grad, input.Grad!.ToArray<float>(), 1e-6);
    }

    /// <summary>
    /// AvgPool2dAddTo (scoring's fused pool-and-add, pooling.cpp) gives bitwise the values of pooling, then adding: NCHW,
    /// channels-last and strided input, either padding count, a target of the other layout (the fallback) and 2x2
    /// pooling (no fused kernel). With a gradient wanted it backpropagates; a target of another shape is refused.
    /// </summary>
    [Theory]
    [InlineData(3, 8, 9)]
    [InlineData(2, 5, 6)]
    [InlineData(4, 1, 4)]
    public void AvgPool2dAddToEqualsPoolThenAdd(int n, int c, int size)
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(18);
        using (NoGradScope.Begin())
        {
            var nchw = Tensor.Randn([n, c, size, size]);
            var cl = Functional.Conv2d(Tensor.Randn([n, c, size, size]), Tensor.Randn([c, c, 3, 3]), null, 1, 1); // channels-last
            var strided = Tensor.Randn([n, c + 1, size, size]).Narrow(1, 1, c);
            foreach (var x in new[] { nchw, cl, strided })
            {
                foreach (var countIncludePad in new[] { false, true })
                    foreach (var target in new[] { x.Clone() * 0.5, Tensor.Randn(x.Shape) })
                    {
                        var expected = (target + Functional.AvgPool2d(x, 3, 1, 1, countIncludePad)).ToArray<float>();
                        Assert.Same(target, Functional.AvgPool2dAddTo(target, x, 3, 1, 1, countIncludePad));
                        Assert.Equal(expected, target.ToArray<float>());
                    }
                var half = Tensor.Randn([n, c, size / 2, size / 2]);
                var quad = (half + Functional.AvgPool2d(x, 2, 2)).ToArray<float>();
                Assert.Equal(quad, Functional.AvgPool2dAddTo(half, x, 2, 2).ToArray<float>());
                var e = Assert.Throws<TorchException>(() => Functional.AvgPool2dAddTo(Tensor.Zeros([n, c, size + 1, size]), x, 3, 1, 1));
                Assert.Equal(NativeStatus.InvalidArgument, e.Status);
            }
        }
        var upstream = Tensor.Randn([n, c, size, size]);
        var sum = Tensor.Randn([n, c, size, size]);
        var input = Tensor.Randn([n, c, size, size]);
        var reference = ValueAndGradient(input, upstream, t => sum + Functional.AvgPool2d(t, 3, 1, 1, countIncludePad: false));
        var fused = ValueAndGradient(input, upstream, t => Functional.AvgPool2dAddTo(sum.Clone(), t, 3, 1, 1, countIncludePad: false));
        Assert.Equal(reference.Value, fused.Value);
        Assert.Equal(reference.Grad, fused.Grad);
    }

    /// <summary>f(x) and the gradient of sum(f(x) * upstream) with respect to x.</summary>
    private static (float[] Value, float[] Grad) ValueAndGradient(Tensor x, Tensor upstream, Func<Tensor, Tensor> f)
    {
        var leaf = x.Detach().WithRequiresGrad();
        var y = f(leaf);
        (y * upstream).Sum().Backward();
        return (y.ToArray<float>(), leaf.Grad!.ToArray<float>());
    }

    [Fact]
    public void SoftmaxAndCrossEntropyHaveKnownValues()
    {
        using var scope = TensorScope.Begin();
        var logits = T([0, 0, Math.Max(0, MathF.Log(2)), 0], 2, 2);
        Close([0.5f, 0.5f, 2f / 3, 1f / 3], Functional.Softmax(logits, 1).ToArray<float>(), 1e-6);
        Close([MathF.Log(0.5f), MathF.Log(0.5f)], Functional.LogSoftmax(T([0, 0], 1, 2), 1).ToArray<float>(), 1e-6);
        var target = Tensor.FromArray(new long[] { 0, 1 });
        // mean of -ln(1/2) and -ln(1/3)
        Assert.Equal((Math.Log(2) + Math.Log(3)) / 2, Functional.CrossEntropy(logits, target).ToDouble(), 5);
        // label smoothing e on 2 classes: loss = -(1 - e/2) ln p_y - (e/2) ln p_other
        var smooth = Functional.CrossEntropy(T([0, 0], 1, 2), Tensor.FromArray(new long[] { 0 }), labelSmoothing: 0.2);
        Assert.Equal(Math.Log(2), smooth.ToDouble(), 5);
        var perSample = Functional.CrossEntropy(logits, target, reduction: Reduction.None).ToArray<float>();
        Close([MathF.Log(2), MathF.Log(3)], perSample, 1e-5);
    }

    [Fact]
    public void DropoutIsIdentityInEvalAndScalesInTraining()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Ones([10000]);
        Assert.Equal(x.ToArray<float>(), Functional.Dropout(x, 0.5, training: false).ToArray<float>());
        var kept = Functional.Dropout(x, 0.5, training: true).ToArray<float>();
        Assert.All(kept, v => Assert.True(v == 0 || Math.Abs(v - 2) < 1e-6));
        var share = kept.Count(v => v == 0) / 10000.0;
        Assert.InRange(share, 0.45, 0.55);
    }

    [Fact]
    public void ModulesExposeNamedParametersAndDefaultInit()
    {
        using var net = new Sequential(new Conv2d(3, 8, 3, padding: 1), new BatchNorm2d(8), Layers.ReLU(), Layers.GlobalAvgPool(),
            Layers.Flatten(), new Linear(8, 10));
        var names = net.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias" }, names);
        Assert.Equal(new[] { "1.running_mean", "1.running_var" }, net.NamedBuffers().Select(b => b.Name).ToArray());
        Assert.Equal(8 * 3 * 9 + 8 + 8 + 8 + 80 + 10, net.ParameterCount());
        // PyTorch default: U(+-1/sqrt(fan_in)), fan_in = 3*3*3
        var w = net.Parameters()[0].ToArray<float>();
        var bound = 1 / Math.Sqrt(27);
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > bound * 0.8 && w.Min() < -bound * 0.8, "weights should fill the uniform range");
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
        net.Eval();
        Assert.False(net.Layers[1].IsTraining);
    }

    [Fact]
    public void ModulesConvertToFloat64InPlace()
    {
        using var net = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), Layers.Flatten(), new Linear(2, 3));
        var before = net.Parameters()[0].ToArray<float>();
        var list = net.Parameters();
        net.To(DType.Float64);
        Assert.All(net.Parameters().Concat(net.NamedBuffers().Select(b => b.Buffer)), t => Assert.Equal(DType.Float64, t.DType));
        Assert.Same(list[0], net.Parameters()[0]);
        Assert.True(list[0].RequiresGrad);
        Assert.Equal(before.Select(v => (double)v), list[0].ToArray<double>());
        using var scope = TensorScope.Begin();
        Assert.Equal(DType.Float64, net.Forward(Tensor.Randn([2, 1, 3, 3], DType.Float64)).DType);
    }

    [Fact]
    public void StateDictLoadChecksNamesAndShapes()
    {
        using var a = new Linear(4, 2);
        using var b = new Linear(4, 2);
        b.LoadStateDict(a.StateDict());
        Assert.Equal(a.Weight.ToArray<float>(), b.Weight.ToArray<float>());
        using var c = new Linear(3, 2);
        var e = Assert.Throws<ArgumentException>(() => c.LoadStateDict(a.StateDict()));
        Assert.Contains("weight", e.Message);
        using var d = new Conv2d(1, 1, 1);
        Assert.Throws<ArgumentException>(() => d.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = d.Weight }));
    }
}
