using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Native;
using static KShotNas.Torch.Tests.TestSupport;

namespace KShotNas.Torch.Tests;

/// <summary>
/// NormalizedSum (a scoring cell node's one pass, batch_norm.cpp) gives bitwise the values of normalizing terms with
/// BatchNorm's batch statistics, pooling terms with AvgPool2d (3x3, padding not counted), adding left to right, then
/// the ReLU: channels-last (spans of rows that end inside the tensor or an image) and NCHW, with and without pooled
/// terms, into a fresh target, into the first term in place, and with the ReLU beside the sum; and the sum's 2x2
/// pooling from the same pass (NormalizedSumPooled) equal to AvgPool2d(sum, 2, 2), refused for odd sides. Terms of mixed layouts
/// take ATen's operations (equal up to rounding). A target that is a later or a pooled term, a term of another shape and
/// a term that wants a gradient are refused.
/// </summary>
public class NormalizedSumTests
{
    public NormalizedSumTests() => Init();

    [Theory]
    [InlineData(3, 8, 13)] // 507 rows of 8 channels: spans of 128 rows, the last one partial
    [InlineData(2, 16, 7)]
    [InlineData(4, 5, 6)]
    [InlineData(2, 8, 14)] // even sides in both layouts: the pooled output
    public void NormalizedSumEqualsNormalizeThenAdd(int n, int c, int size)
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(23);
        using (NoGradScope.Begin())
        {
            // Convolution outputs are channels-last without gradients; an offset keeps the mean far from zero.
            Tensor ChannelsLast(float offset) =>
                Functional.Conv2d(Tensor.Randn([n, c, size, size]) + offset, Tensor.Randn([c, c, 3, 3]), null, 1, 1);
            foreach (var layout in new Func<float, Tensor>[] { ChannelsLast, offset => Tensor.Randn([n, c, size, size]) * 2 + offset })
            {
                var terms = new[] { layout(3), layout(0), layout(-2), layout(1), layout(2) };
                Tensor Read(int i, SumTerm kind) => kind switch
                {
                    SumTerm.Normalized => Functional.BatchNorm(terms[i], null, null, null, null, training: true),
                    SumTerm.AvgPool3x3 => Functional.AvgPool2d(terms[i], 3, 1, 1, countIncludePad: false),
                    _ => terms[i],
                };
                foreach (var kinds in new[]
                         {
                             new[] { SumTerm.Normalized, SumTerm.AsIs, SumTerm.Normalized, SumTerm.AsIs, SumTerm.Normalized },
                             new[] { SumTerm.Normalized, SumTerm.AvgPool3x3, SumTerm.AsIs, SumTerm.AvgPool3x3, SumTerm.Normalized },
                         })
                {
                    var sum = Read(0, kinds[0]);
                    for (var i = 1; i < terms.Length; i++) sum = sum + Read(i, kinds[i]);
                    foreach (var relu in new[] { false, true })
                    {
                        var expected = (relu ? sum.Relu() : sum).ToArray<float>();
                        var target = Tensor.EmptyLike(terms[0]);
                        Assert.Same(target, Functional.NormalizedSum(terms, kinds, target, relu));
                        Assert.Equal(expected, target.ToArray<float>());
                        var first = terms[0].Clone(); // the first term as the target: normalized in place, then the rest added
                        Functional.NormalizedSum([first, .. terms[1..]], kinds, first, relu);
                        Assert.Equal(expected, first.ToArray<float>());
                        if (size % 2 != 0) continue; // refused below
                        // The sum's 2x2 pooling in the same pass.
                        var pooledInPlace = terms[0].Clone();
                        var pooled = Functional.NormalizedSumPooled([pooledInPlace, .. terms[1..]], kinds, pooledInPlace, relu);
                        Assert.Equal(expected, pooledInPlace.ToArray<float>());
                        Assert.Equal(Functional.AvgPool2d(sum, 2, 2).ToArray<float>(), pooled.ToArray<float>());
                    }
                    var value = Tensor.EmptyLike(terms[0]);
                    var activated = Tensor.EmptyLike(terms[0]);
                    Functional.NormalizedSum(terms, kinds, value, reluCopy: activated);
                    Assert.Equal(sum.ToArray<float>(), value.ToArray<float>());
                    Assert.Equal(sum.Relu().ToArray<float>(), activated.ToArray<float>());
                    if (size % 2 != 0)
                    {
                        var odd = Assert.Throws<TorchException>(() => Functional.NormalizedSumPooled(terms, kinds, value));
                        Assert.Contains("even sides", odd.Message);
                        continue;
                    }
                    var pooledBeside = Functional.NormalizedSumPooled(terms, kinds, value, reluCopy: activated);
                    Assert.Equal(sum.ToArray<float>(), value.ToArray<float>());
                    Assert.Equal(sum.Relu().ToArray<float>(), activated.ToArray<float>());
                    Assert.Equal(Functional.AvgPool2d(sum, 2, 2).ToArray<float>(), pooledBeside.ToArray<float>());
                }
                var asIs = Tensor.EmptyLike(terms[1]);
                Functional.NormalizedSum([terms[1], terms[3]], [SumTerm.AsIs, SumTerm.AsIs], asIs);
                Assert.Equal((terms[1] + terms[3]).ToArray<float>(), asIs.ToArray<float>());
                var pooledFirst = Functional.NormalizedSum([terms[2], terms[1]], [SumTerm.AvgPool3x3, SumTerm.Normalized], Tensor.EmptyLike(terms[2]));
                Assert.Equal((Read(2, SumTerm.AvgPool3x3) + Read(1, SumTerm.Normalized)).ToArray<float>(), pooledFirst.ToArray<float>());
            }
            // A channels-last term beside an NCHW one: ATen's batch norm and adds.
            var cl = ChannelsLast(1);
            var nchw = Tensor.Randn([n, c, size, size]);
            var mixed = Functional.NormalizedSum([cl, nchw, cl], [SumTerm.Normalized, SumTerm.AsIs, SumTerm.AvgPool3x3], Tensor.Zeros([n, c, size, size]), relu: true);
            var reference = Functional.BatchNorm(cl, null, null, null, null, training: true) + nchw + Functional.AvgPool2d(cl, 3, 1, 1, countIncludePad: false);
            Close(reference.Relu().ToArray<float>(), mixed.ToArray<float>());
            if (size % 2 == 0)
            {
                var mixedTarget = Tensor.Zeros([n, c, size, size]);
                var mixedPooled = Functional.NormalizedSumPooled([cl, nchw, cl], [SumTerm.Normalized, SumTerm.AsIs, SumTerm.AvgPool3x3], mixedTarget, relu: true);
                Close(reference.Relu().ToArray<float>(), mixedTarget.ToArray<float>());
                Close(Functional.AvgPool2d(reference, 2, 2).ToArray<float>(), mixedPooled.ToArray<float>());
            }

            var wrongShape = Assert.Throws<TorchException>(() => Functional.NormalizedSum([cl, Tensor.Zeros([n, c, size, size + 1])], [SumTerm.Normalized, SumTerm.AsIs], Tensor.EmptyLike(cl)));
            Assert.Equal(NativeStatus.InvalidArgument, wrongShape.Status);
            Assert.Contains("shape", wrongShape.Message);
            var later = Tensor.EmptyLike(cl);
            var aliased = Assert.Throws<TorchException>(() => Functional.NormalizedSum([cl, later], [SumTerm.Normalized, SumTerm.AsIs], later));
            Assert.Contains("only the first term", aliased.Message);
            var pooledTarget = cl.Clone();
            Assert.Throws<TorchException>(() => Functional.NormalizedSum([pooledTarget], [SumTerm.AvgPool3x3], pooledTarget));
            var flat = Tensor.Randn([n, c]);
            var notImages = Assert.Throws<TorchException>(() => Functional.NormalizedSumPooled([flat], [SumTerm.AsIs], Tensor.EmptyLike(flat)));
            Assert.Contains("4-D", notImages.Message);
        }
        var wantsGrad = Tensor.Randn([n, c, size, size]).WithRequiresGrad();
        var e = Assert.Throws<TorchException>(() => Functional.NormalizedSum([wantsGrad], [SumTerm.Normalized], Tensor.Zeros([n, c, size, size])));
        Assert.Contains("not differentiable", e.Message);
    }
}
