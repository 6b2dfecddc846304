using KShotNas.Torch;
using KShotNas.Torch.Optim;
using static KShotNas.Torch.Tests.TestSupport;

namespace KShotNas.Torch.Tests;

public class OptimTests
{
    public OptimTests() => Init();

    /// <summary>Sets p.grad = g by back-propagating sum(p * g).</summary>
    private static void SetGrad(Tensor p, float[] g)
    {
        using var s = TensorScope.Begin();
        (p * Tensor.FromArray(g, p.Shape)).Sum().Backward();
    }

    [Fact]
    public void SgdMatchesHandComputedNesterovSteps()
    {
        using var scope = TensorScope.Begin();
        var p = T([1, 2], 2).WithRequiresGrad();
        using var sgd = new Sgd([p], new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 0.5 });
        SetGrad(p, [1, 1]);
        sgd.Step();
        // d = g + wd p = [1.5, 2]; v = d; p -= lr (d + mu v) = p - 0.1 * 1.9 d
        Close([1 - 0.19f * 1.5f, 2 - 0.19f * 2f], p.ToArray<float>(), 1e-6);
        var p1 = p.ToArray<float>();
        sgd.ZeroGrad();
        SetGrad(p, [0, 1]);
        sgd.Step();
        // d = g + 0.5 p1; v = 0.9 v + d; p -= 0.1 (d + 0.9 v)
        var expected = new float[2];
        float[] v0 = [1.5f, 2f], g = [0, 1];
        for (var i = 0; i < 2; i++)
        {
            var d = g[i] + 0.5f * p1[i];
            var v = 0.9f * v0[i] + d;
            expected[i] = p1[i] - 0.1f * (d + 0.9f * v);
        }
        Close(expected, p.ToArray<float>(), 1e-6);
    }

    [Fact]
    public void PlainMomentumAndNoMomentumSteps()
    {
        using var scope = TensorScope.Begin();
        var p = T([1], 1).WithRequiresGrad();
        using (var sgd = new Sgd([p], new SgdOptions { LearningRate = 0.5 }))
        {
            SetGrad(p, [2]);
            sgd.Step();
        }
        Close([0], p.ToArray<float>());
        var q = T([0], 1).WithRequiresGrad();
        using var heavy = new Sgd([q], new SgdOptions { LearningRate = 1, Momentum = 0.5 });
        SetGrad(q, [1]); heavy.Step(); heavy.ZeroGrad(); // v = 1, q = -1
        SetGrad(q, [1]); heavy.Step();                  // v = 1.5, q = -2.5
        Close([-2.5f], q.ToArray<float>());
    }

    [Fact]
    public void SeparateBufferSetsOnlyChangeTheActiveOne()
    {
        using var scope = TensorScope.Begin();
        var p = T([1, 1], 2).WithRequiresGrad();
        using var sgd = new Sgd([p], new SgdOptions { LearningRate = 0.1, Momentum = 0.9 });
        using var a = sgd.CreateBuffers();
        using var b = sgd.CreateBuffers();
        SetGrad(p, [1, 2]);
        sgd.Step(buffers: a);
        Close([1, 2], a.Buffers.Tensors[0].ToArray<float>());
        Close([0, 0], b.Buffers.Tensors[0].ToArray<float>());
        Close([0, 0], sgd.DefaultBuffers!.Buffers.Tensors[0].ToArray<float>());
        Assert.Equal(2, a.ElementCount);
    }

    [Fact]
    public void UntouchedParametersAreSkippedOrDecayedAsConfigured()
    {
        using var scope = TensorScope.Begin();
        var used = T([1], 1).WithRequiresGrad();
        var unused = T([1], 1).WithRequiresGrad();
        using var skip = new Sgd([used, unused], new SgdOptions { LearningRate = 0.1, Momentum = 0.9, WeightDecay = 0.1 });
        SetGrad(used, [1]);
        skip.Step();
        Close([1], unused.ToArray<float>());
        Close([0], skip.DefaultBuffers!.Buffers.Tensors[1].ToArray<float>());

        using var update = new Sgd([used, unused], new SgdOptions
        {
            LearningRate = 0.1, Momentum = 0.9, WeightDecay = 0.1, Untouched = UntouchedParameters.UpdateWithZeroGradient,
        });
        update.Step();
        // d = 0 + 0.1 * 1, v = 0.1, p = 1 - 0.1 * 0.1
        Close([0.99f], unused.ToArray<float>(), 1e-6);
        Close([0.1f], update.DefaultBuffers!.Buffers.Tensors[1].ToArray<float>(), 1e-6);
    }

    [Fact]
    public void RmsPropMatchesOneHandComputedStep()
    {
        using var scope = TensorScope.Begin();
        var p = T([1], 1).WithRequiresGrad();
        using var rms = new RmsProp([p], new RmsPropOptions { LearningRate = 0.01, Alpha = 0.9, Eps = 1e-8 });
        SetGrad(p, [2]);
        rms.Step();
        // v = 0.1 * 4 = 0.4; p -= 0.01 * 2 / (sqrt(0.4) + eps)
        Close([1 - 0.01f * 2 / MathF.Sqrt(0.4f)], p.ToArray<float>(), 1e-6);
    }

    [Fact]
    public void ClippingBoundsTheGlobalNorm()
    {
        using var scope = TensorScope.Begin();
        var a = T([0, 0], 2).WithRequiresGrad();
        var b = T([0], 1).WithRequiresGrad();
        SetGrad(a, [3, 0]);
        SetGrad(b, [4]);
        var list = new ParameterList([a, b]);
        Assert.Equal(5, Gradients.ClipByGlobalNorm(list, 1), 5);
        Close([0.6f, 0], a.Grad!.ToArray<float>(), 1e-5);
        Close([0.8f], b.Grad!.ToArray<float>(), 1e-5);
        Assert.Equal(1, Gradients.ClipByGlobalNorm(list, 10), 4); // under the bound: unchanged
        Gradients.ZeroGrad(list);
        Assert.Null(a.Grad);
    }

    [Fact]
    public void SchedulesHaveKnownValues()
    {
        var cos = new CosineSchedule(0.1, 100, 0.001);
        Assert.Equal(0.1, cos.At(0), 10);
        Assert.Equal(0.0505, cos.At(50), 10);
        Assert.Equal(0.001, cos.At(100), 10);
        var step = new StepSchedule(1, 10, 0.5);
        Assert.Equal(1, step.At(9));
        Assert.Equal(0.25, step.At(25));
        var warm = new WarmupSchedule(new ConstantSchedule(1), 4);
        Assert.Equal(new[] { 0, 0.25, 0.5, 0.75, 1, 1 }, Enumerable.Range(0, 6).Select(i => warm.At(i)).ToArray());
    }

    [Fact]
    public void EmaAveragesParameters()
    {
        using var scope = TensorScope.Begin();
        var p = T([0], 1);
        using var ema = new ExponentialMovingAverage([p], 0.9);
        p.Fill(10);
        ema.Update();
        Close([1], ema.Averages[0].ToArray<float>(), 1e-6);
        // TensorFlow's warm-up: update 0 uses min(0.9, 1/10) = 0.1, so the average moves 90% of the way
        var q = T([0], 1);
        using var warm = new ExponentialMovingAverage([q], 0.9, warmupDecay: true);
        q.Fill(10);
        warm.Update();
        Close([9], warm.Averages[0].ToArray<float>(), 1e-5);
        Assert.Equal(1, warm.Updates);
    }
}
