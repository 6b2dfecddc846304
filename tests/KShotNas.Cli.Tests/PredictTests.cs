namespace KShotNas.Cli.Tests;

/// <summary>predict checks the ONNX graph against what it feeds and reads, and reports a runtime refusal as one line.</summary>
public sealed class PredictTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void ModelWithTheWrongClassCountIsRefused()
    {
        File.WriteAllBytes(_cli.PathOf("m.onnx"), Fixtures.OnnxModel([1, 28, 28], 5));
        var r = _cli.Run("predict", "--model", "m.onnx", "--count", "10", "--threads", "1");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("has shape [N, 5]; this command needs [N, 10]", r.Stderr);
    }

    [Fact]
    public void ModelWithTheWrongInputShapeIsRefused()
    {
        File.WriteAllBytes(_cli.PathOf("m.onnx"), Fixtures.OnnxModel([3, 32, 32], 10));
        var r = _cli.Run("predict", "--model", "m.onnx", "--count", "10", "--threads", "1");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("has shape [N, 3, 32, 32]; this command needs [N, 1, 28, 28]", r.Stderr);
    }

    [Fact]
    public void NotAnOnnxFileIsRefused()
    {
        File.WriteAllText(_cli.PathOf("m.onnx"), "definitely not protobuf \u0001\u0002");
        var r = _cli.Run("predict", "--model", "m.onnx", "--count", "10", "--threads", "1");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void ModelTheRuntimeRejectsIsOneLineNotACrash()
    {
        File.WriteAllBytes(_cli.PathOf("m.onnx"), Fixtures.OnnxModel([1, 28, 28], 10, opType: "NoSuchOp", domain: "com.example"));
        var r = _cli.Run("predict", "--model", "m.onnx", "--count", "10", "--threads", "1");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.StartsWith("kshotnas: error:", r.Stderr.Trim());
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
