using System.Diagnostics;
using KShotNas.Deployment;
using KShotNas.Spaces;
using KShotNas.Torch;

namespace KShotNas.Onnx.Tests;

public sealed class OnnxExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-onnx-").FullName;

    public OnnxExportTests() => TorchRuntime.Threads = 2;

    public void Dispose() => Directory.Delete(_dir, true);

    public static TheoryData<string, string> Architectures => new()
    {
        { "nb201:fashion-small", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|" },
        { "nb201:fashion-small", "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|" },
        { "nb201:fashion-small", "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|" },
        { "nas-bench-macro", "00000000" },
        { "nas-bench-macro", "22212220" },
        { "nas-bench-macro", "12010201" },
        { "mobilenetv2:fashion-small", "k3e3@1-k5e6@0.5-k7e3@0.75-k3e6@1-k3e3@0.5-k5e6@1" },
        { "mobilenetv2:fashion-small", "k7e6@0.5-k3e3@1-k3e3@0.5-k5e3@0.5-k3e6@1-k3e3@0.75" },
    };

    /// <summary>Exported files pass the ONNX checker of python3-onnx (Debian), with full shape inference.</summary>
    [Theory]
    [MemberData(nameof(Architectures))]
    public void ExportedModelsPassTheOnnxChecker(string spaceDescriptor, string arch)
    {
        var space = SpaceCatalog.Create(spaceDescriptor);
        TorchRuntime.ManualSeed(1);
        using var net = new StandaloneNetwork(space, space.Parse(arch));
        var path = Path.Combine(_dir, "model.onnx");
        OnnxExporter.Save(net, path);
        var (code, output) = Python(
            "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); "
            + "print(m.opset_import[0].version, len(m.graph.node), [d.dim_param or d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim])",
            path);
        Assert.True(code == 0, output);
        Assert.Contains("13 ", output);
        Assert.Contains("['batch', 10]", output);
    }

    [Fact]
    public void TheCheckerRejectsABrokenFile()
    {
        var path = Path.Combine(_dir, "broken.onnx");
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        using var net = new StandaloneNetwork(space, space.Parse("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|"));
        var bytes = OnnxExporter.Export(net);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var (code, _) = Python("import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", path);
        Assert.NotEqual(0, code); // the checker test above can fail
    }

    private static (int Code, string Output) Python(string script, string arg)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(arg);
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
