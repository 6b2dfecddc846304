using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Native;
using static KShotNas.Torch.Tests.TestSupport;

namespace KShotNas.Torch.Tests;

/// <summary>
/// NormalizedSum (a scoring cell node's one pass, batch_norm.cpp) gives bitwise the values of normalizing the flagged
/// terms with BatchNorm's batch statistics, adding left to right, then the ReLU: channels-last (spans of rows that end
/// inside the tensor) and NCHW, into a fresh target, into the first term in place, and with the ReLU beside the sum.
/// Terms of mixed layouts take ATen's operations (equal up to rounding). A target that is a later term, a term of
/// another shape and a term that wants a gradient are refused.
/// </summary>
public class NormalizedSumTests
{
    public NormalizedSumTests() => Init();

    [Theory]
    [InlineData(3, 8, 13)] // 507 rows of 8 channels: spans of 128 rows, the last one partial
    [InlineData(2, 16, 7)]
    [InlineData(4, 5, 6)]
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
                var terms = new[] { layout(3), layout(0), layout(-2), layout(1) };
                var normalize = new[] { true, false, true, false };
                var sum = Functional.BatchNorm(terms[0], null, null, null, null, training: true) + terms[1];
                sum = sum + Functional.BatchNorm(terms[2], null, null, null, null, training: true);
                sum = sum + terms[3];
                foreach (var relu in new[] { false, true })
                {
                    var expected = (relu ? sum.Relu() : sum).ToArray<float>();
                    var target = Tensor.EmptyLike(terms[0]);
                    Assert.Same(target, Functional.NormalizedSum(terms, normalize, target, relu));
                    Assert.Equal(expected, target.ToArray<float>());
                    var first = terms[0].Clone(); // the first term as the target: normalized in place, then the rest added
                    Functional.NormalizedSum([first, .. terms[1..]], normalize, first, relu);
                    Assert.Equal(expected, first.ToArray<float>());
                }
                var value = Tensor.EmptyLike(terms[0]);
                var activated = Tensor.EmptyLike(terms[0]);
                Functional.NormalizedSum(terms, normalize, value, reluCopy: activated);
                Assert.Equal(sum.ToArray<float>(), value.ToArray<float>());
                Assert.Equal(sum.Relu().ToArray<float>(), activated.ToArray<float>());
                var plainOnly = Tensor.EmptyLike(terms[1]);
                Functional.NormalizedSum([terms[1], terms[3]], [false, false], plainOnly);
                Assert.Equal((terms[1] + terms[3]).ToArray<float>(), plainOnly.ToArray<float>());
            }
            // A channels-last term beside an NCHW one: ATen's batch norm and adds.
            var cl = ChannelsLast(1);
            var nchw = Tensor.Randn([n, c, size, size]);
            var mixed = Functional.NormalizedSum([cl, nchw], [true, false], Tensor.Zeros([n, c, size, size]), relu: true);
            Close((Functional.BatchNorm(cl, null, null, null, null, training: true) + nchw).Relu().ToArray<float>(), mixed.ToArray<float>());

            var wrongShape = Assert.Throws<TorchException>(() => Functional.NormalizedSum([cl, Tensor.Zeros([n, c, size, size + 1])], [true, false], Tensor.EmptyLike(cl)));
            Assert.Equal(NativeStatus.InvalidArgument, wrongShape.Status);
            Assert.Contains("shape", wrongShape.Message);
            var later = Tensor.EmptyLike(cl);
            var aliased = Assert.Throws<TorchException>(() => Functional.NormalizedSum([cl, later], [true, false], later));
            Assert.Contains("only the first term", aliased.Message);
        }
        var wantsGrad = Tensor.Randn([n, c, size, size]).WithRequiresGrad();
        var e = Assert.Throws<TorchException>(() => Functional.NormalizedSum([wantsGrad], [true], Tensor.Zeros([n, c, size, size])));
        Assert.Contains("not differentiable", e.Message);
    }
}
