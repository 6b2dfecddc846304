namespace KShotNas.Cli.Tests;

/// <summary>The error boundary and up-front option checks: one line, exit 2 for usage, 1 for failures, no stack trace unless --verbose.</summary>
public sealed class UsageAndErrorTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static void OneLineNoTrace(CliResult r)
    {
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("kshotnas: error:"));
    }

    [Fact]
    public void UnknownOptionIsAUsageError()
    {
        var r = _cli.Run("supernet-train", "--bogus", "--out", "x.safetensors");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--bogus", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    private static string[] Commands(string help) =>
        help[help.IndexOf("Commands:", StringComparison.Ordinal)..].Split('\n').Skip(1)
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("   ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0]).ToArray();

    [Fact]
    public void TopLevelShowsTheProductAndTheStudyGroupHoldsTheResearchCommands()
    {
        var top = _cli.Run("--help");
        Assert.True(top.ExitCode == 0, top.ToString());
        Assert.Equal(["run", "retrain", "export", "predict", "export-images", "supernet-train", "supernet-score", "search", "launch", "info", "study"],
            Commands(top.Stdout));
        var study = _cli.Run("study", "--help");
        Assert.True(study.ExitCode == 0, study.ToString());
        Assert.Equal(["select", "reference", "summary", "report", "pick-check", "rank", "codes", "search-benchmark", "train-cnn"], Commands(study.Stdout));
    }

    [Fact]
    public void AUsageErrorInAStudyCommandNamesItsWholePath()
    {
        var r = _cli.Run("study", "rank", "--bogus");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("see 'kshotnas study rank --help'", r.Stderr);
    }

    [Theory]
    [InlineData("--batch-size", "0")]
    [InlineData("--lr", "NaN")]
    [InlineData("--lr", "-1")]
    [InlineData("--lr", "Infinity")]
    [InlineData("--epochs", "0")]
    [InlineData("--label-smoothing", "1")]
    [InlineData("--clip", "-1")]
    [InlineData("--threads", "0")]
    [InlineData("--train-images", "0")]
    [InlineData("--copy-noise", "-1")]
    public void OutOfRangeTrainingOptionsAreRefusedBeforeAnyWork(string option, string value)
    {
        var r = _cli.Run("supernet-train", option, value, "--out", "x.safetensors");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains($"{option}:", r.Stderr);
        OneLineNoTrace(r);
        Assert.False(File.Exists(_cli.PathOf("x.safetensors")));
    }

    [Fact]
    public void CopiesFromNeedsAKShotRun()
    {
        File.WriteAllText(_cli.PathOf("one.safetensors"), "not read: the option check comes first");
        var r = _cli.Run("supernet-train", "--copies-from", "one.safetensors", "--out", "x.safetensors");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--copies-from:", r.Stderr);
        Assert.Contains("--k 2", r.Stderr);
        OneLineNoTrace(r);
        var missing = _cli.Run("supernet-train", "--k", "4", "--copies-from", "missing.safetensors", "--out", "x.safetensors");
        Assert.True(missing.ExitCode == 1, missing.ToString()); // a missing file is a failure, not a usage error
        Assert.Contains("--copies-from: file not found", missing.Stderr);
        OneLineNoTrace(missing);
    }

    [Fact]
    public void UnwritableOutputIsRefusedBeforeTraining()
    {
        File.WriteAllText(_cli.PathOf("file"), "a file, not a folder");
        var r = _cli.Run("supernet-train", "--out", "file/x.safetensors");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--out: cannot write", r.Stderr);
        Assert.DoesNotContain("supernet (", r.Stdout); // no training started
        OneLineNoTrace(r);
    }

    [Fact]
    public void ImagesOfTheWrongShapeForTheSpaceAreRefused()
    {
        var r = _cli.Run("supernet-train", "--space", "nb201:C=8,N=1,in=3,size=32,classes=10", "--out", "x.safetensors");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("takes 3x32x32 images", r.Stderr);
    }

    [Fact]
    public void ThreadsAreCappedWithAWarning()
    {
        var r = _cli.Run("predict", "--threads", "100000", "--model", "missing.onnx");
        Assert.Contains("warning: --threads 100000 exceeds", r.Stderr);
        Assert.True(r.ExitCode == 1, r.ToString()); // then the missing model is reported
        Assert.Contains("missing.onnx", r.Stderr);
    }

    [Fact]
    public void StackTraceOnlyWithVerbose()
    {
        var quiet = _cli.Run("supernet-score", "--checkpoint", "missing.safetensors", "--sample", "1", "--out", "s.csv");
        Assert.True(quiet.ExitCode == 1, quiet.ToString());
        OneLineNoTrace(quiet);
        var verbose = _cli.Run("supernet-score", "--checkpoint", "missing.safetensors", "--sample", "1", "--out", "s.csv", "--verbose");
        Assert.True(verbose.ExitCode == 1, verbose.ToString());
        Assert.Contains("   at ", verbose.Stderr);
    }

    [Fact]
    public void EmptyArchitectureListIsRefused()
    {
        File.WriteAllText(_cli.PathOf("empty.txt"), "# nothing\n\n");
        var r = _cli.Run("supernet-score", "--checkpoint", Fixtures.TinyCheckpoint, "--archs", "empty.txt", "--out", "s.csv");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("lists no architecture", r.Stderr);
        OneLineNoTrace(r);
    }
}
