using KShotNas.Torch;
using KShotNas.Torch.Nn;
using static KShotNas.Torch.Tests.TestSupport;

namespace KShotNas.Torch.Tests;

public class AutogradTests
{
    public AutogradTests() => Init();

    [Fact]
    public void BackwardGivesKnownGradient()
    {
        using var scope = TensorScope.Begin();
        var x = T([1, -2, 3], 3).WithRequiresGrad();
        (x * x).Sum().Backward();
        Close([2, -4, 6], x.Grad!.ToArray<float>());
        Assert.Null(T([1], 1).WithRequiresGrad().Grad);
    }

    [Fact]
    public void NoGradScopeStopsRecording()
    {
        using var scope = TensorScope.Begin();
        var x = T([1], 1).WithRequiresGrad();
        using (NoGradScope.Begin())
            Assert.False((x * 2).RequiresGrad);
        Assert.True((x * 2).RequiresGrad);
    }

    /// <summary>
    /// Finite differences through conv -> batch norm (batch statistics) -> relu -> avg pool -> linear, in float64:
    /// every parameter and the input get central-difference checks against backward.
    /// </summary>
    [Fact]
    public void FiniteDifferenceGradientsMatchBackwardThroughACnnChain()
    {
        using var scope = TensorScope.Begin();
        TorchRuntime.ManualSeed(7);
        var x = Tensor.Randn([3, 2, 6, 6], DType.Float64).WithRequiresGrad();
        var convW = (Tensor.Randn([4, 2, 3, 3], DType.Float64) * 0.5).WithRequiresGrad();
        var bnW = (Tensor.Rand([4], DType.Float64) + 0.5).WithRequiresGrad();
        var bnB = (Tensor.Randn([4], DType.Float64) * 0.1).WithRequiresGrad();
        var linW = (Tensor.Randn([5, 36], DType.Float64) * 0.3).WithRequiresGrad();
        var linB = Tensor.Randn([5], DType.Float64).WithRequiresGrad();
        var target = Tensor.FromArray(new long[] { 0, 3, 4 });

        double Loss()
        {
            using var s = TensorScope.Begin();
            var h = Functional.Conv2d(x, convW, padding: 1);
            h = Functional.BatchNorm(h, null, null, bnW, bnB, training: true).Relu();
            h = Functional.AvgPool2d(h, 2).Flatten(1);
            return Functional.CrossEntropy(Functional.Linear(h, linW, linB), target).ToDouble();
        }

        {
            using var s = TensorScope.Begin();
            var h = Functional.Conv2d(x, convW, padding: 1);
            h = Functional.BatchNorm(h, null, null, bnW, bnB, training: true).Relu();
            h = Functional.AvgPool2d(h, 2).Flatten(1);
            Functional.CrossEntropy(Functional.Linear(h, linW, linB), target).Backward();
        }

        const double eps = 1e-6;
        var checkedCount = 0;
        foreach (var p in new[] { x, convW, bnW, bnB, linW, linB })
        {
            var analytic = p.Grad!.Flatten().ToArray<double>();
            var n = analytic.Length;
            var values = p.Detach().Flatten().ToArray<double>();
            foreach (var i in new[] { 0, n / 3, n / 2, n - 1 }.Distinct())
            {
                double Perturbed(double delta)
                {
                    var v = (double[])values.Clone();
                    v[i] += delta;
                    using (NoGradScope.Begin()) p.CopyFrom(Tensor.FromArray(v, p.Shape));
                    return Loss();
                }
                var numeric = (Perturbed(eps) - Perturbed(-eps)) / (2 * eps);
                using (NoGradScope.Begin()) p.CopyFrom(Tensor.FromArray(values, p.Shape));
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-6 + 1e-4 * Math.Abs(numeric),
                    $"gradient mismatch at element {i}: numeric {numeric}, backward {analytic[i]}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 20);
    }
}
