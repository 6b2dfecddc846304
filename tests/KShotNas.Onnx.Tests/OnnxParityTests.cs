using Microsoft.ML.OnnxRuntime;
using KShotNas.Deployment;
using KShotNas.Onnx.Runtime;
using KShotNas.Spaces;
using KShotNas.Torch;

namespace KShotNas.Onnx.Tests;

public class OnnxParityTests
{
    public OnnxParityTests() => TorchRuntime.Threads = 2;

    /// <summary>ONNX Runtime's logits equal the engine's (eval mode, running statistics) within 1e-4.</summary>
    [Theory]
    [MemberData(nameof(OnnxExportTests.Architectures), MemberType = typeof(OnnxExportTests))]
    public void OnnxRuntimeMatchesTheEngine(string spaceDescriptor, string arch)
    {
        var space = SpaceCatalog.Create(spaceDescriptor);
        TorchRuntime.ManualSeed(2);
        using var net = new StandaloneNetwork(space, space.Parse(arch));
        var (c, h, w, _) = space.InputShape;
        using var scope = TensorScope.Begin();
        // move the running statistics away from their initial values, as training would
        net.Train();
        using (NoGradScope.Begin())
            for (var i = 0; i < 3; i++) net.Forward(Tensor.Randn([16, c, h, w]).Mul(1.5).Add(0.3));
        net.Eval();
        var x = Tensor.Randn([5, c, h, w]);
        float[] expected;
        using (NoGradScope.Begin()) expected = net.Forward(x).ToArray<float>();

        using var predictor = new OnnxPredictor(OnnxExporter.Export(net), threads: 2);
        Assert.Equal(new long[] { c, h, w }, predictor.InputShape);
        var actual = predictor.Predict(x.ToArray<float>(), 5);
        Assert.Equal(expected.Length, actual.Length);
        var maxDiff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-4, $"max |engine - onnxruntime| = {maxDiff}");
        Assert.True(expected.Select(Math.Abs).Max() > 1e-3, "logits should not be trivially zero");
    }

    [Fact]
    public void BadModelsAndInputsGiveClearErrors()
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        using var net = new StandaloneNetwork(space, space.Parse("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|"));
        var bytes = OnnxExporter.Export(net);
        using (var predictor = new OnnxPredictor(bytes))
        {
            Assert.Throws<ArgumentException>(() => predictor.Predict(new float[10], 1));
            Assert.StartsWith("1.32", OnnxPredictor.RuntimeVersion);
        }
        var e = Record.Exception(() => new OnnxPredictor(bytes[..(bytes.Length / 3)]));
        Assert.True(e is InvalidDataException or OnnxRuntimeException, $"got {e?.GetType().Name}: {e?.Message}");
        Assert.Throws<FileNotFoundException>(() => new OnnxPredictor("/nonexistent/model.onnx"));
    }
}
