using KShotNas.Deployment;
using KShotNas.Spaces;
using KShotNas.Torch;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace KShotNas.Onnx.Tests;

/// <summary>The deployment head: raw flat pixels in, normalization, probabilities and class index inside the graph.</summary>
public class OnnxHeadTests
{
    public OnnxHeadTests() => TorchRuntime.Threads = 2;

    [Fact]
    public void RawPixelsInGiveTheEnginesProbabilitiesOnNormalizedImages()
    {
        var space = SpaceCatalog.Create("nb201:C=8,N=1,in=3,size=16,classes=5");
        TorchRuntime.ManualSeed(4);
        using var net = new StandaloneNetwork(space, space.Parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"));
        net.Eval();
        float[] mean = [120f, 80f, 30f], std = [60f, 40f, 20f];
        using var scope = TensorScope.Begin();
        var raw = Tensor.Rand([4, 3, 16, 16]).Mul(255);
        var normalized = raw.Sub(Tensor.FromSpan<float>(mean, [1, 3, 1, 1])).Div(Tensor.FromSpan<float>(std, [1, 3, 1, 1]));
        float[] expected;
        using (NoGradScope.Begin()) expected = Softmax(net.Forward(normalized));

        var head = new OnnxHead { InputName = "Features", FlatInput = true, Mean = mean, Std = std, ProbabilitiesName = "Score", PredictedIndexName = "Index" };
        using var session = new InferenceSession(OnnxExporter.Export(net, head));
        var input = new DenseTensor(raw.ToArray<float>(), [4, 3 * 16 * 16]);
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor("Features", input)]);
        var probabilities = outputs.First(o => o.Name == "Score").AsEnumerable<float>().ToArray();
        var index = outputs.First(o => o.Name == "Index").AsEnumerable<long>().ToArray();
        Assert.Equal(expected.Length, probabilities.Length);
        Assert.True(expected.Zip(probabilities, (a, b) => Math.Abs(a - b)).Max() <= 1e-5, "probabilities differ from softmax(engine(normalized))");
        for (var i = 0; i < 4; i++)
        {
            var row = probabilities.AsSpan(i * 5, 5).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), index[i]);
            Assert.InRange(row.Sum(), 0.9999f, 1.0001f);
        }
    }

    [Fact]
    public void HeadsThatCannotFitAreRefused()
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        using var net = new StandaloneNetwork(space, space.Parse("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|"));
        Assert.Contains("3 means", Assert.Throws<ArgumentException>(() => OnnxExporter.Export(net, new OnnxHead { Mean = [0, 0, 0], Std = [1, 1, 1] })).Message);
        Assert.Contains("positive", Assert.Throws<ArgumentException>(() => OnnxExporter.Export(net, new OnnxHead { Mean = [0], Std = [0] })).Message);
        Assert.Contains("distinct", Assert.Throws<ArgumentException>(() => OnnxExporter.Export(net, new OnnxHead { ProbabilitiesName = "logits" })).Message);
    }

    private static float[] Softmax(KShotNas.Torch.Tensor logits)
    {
        var values = logits.ToArray<float>();
        var classes = (int)logits.Shape[1];
        for (var i = 0; i < values.Length; i += classes)
        {
            var row = values.AsSpan(i, classes);
            var max = row.ToArray().Max();
            var sum = 0f;
            for (var k = 0; k < classes; k++) sum += row[k] = MathF.Exp(row[k] - max);
            for (var k = 0; k < classes; k++) row[k] /= sum;
        }
        return values;
    }
}
