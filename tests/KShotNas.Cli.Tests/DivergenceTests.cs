namespace KShotNas.Cli.Tests;

/// <summary>A diverging run stops with an error naming the step and the last good checkpoint; non-finite checkpoints are refused by every reader.</summary>
public sealed class DivergenceTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void DivergingTrainingStopsNamingStepAndLastGoodCheckpoint()
    {
        var r = _cli.Run(["supernet-train", .. Fixtures.TinyTraining, "--lr", "1e6", "--epochs", "3", "--checkpoint-every", "2", "--out", "d.safetensors"]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Matches(@"training diverged at step \d+: the (loss|gradient norm) is", r.Stderr);
        Assert.Contains("last good checkpoint is d.safetensors", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        // The checkpoint left on disk is the last good one: readers accept it.
        var score = _cli.Run("supernet-score", "--checkpoint", "d.safetensors", "--sample", "1", "--rank-images", "32", "--threads", "1", "--out", "s.csv");
        Assert.True(score.ExitCode == 0, score.ToString());
    }

    [Theory]
    [InlineData("supernet-score", float.NaN)]
    [InlineData("search", float.PositiveInfinity)]
    [InlineData("codes", float.NaN)]
    [InlineData("supernet-train", float.NaN)]
    public void NonFiniteCheckpointIsRefusedByEveryReader(string command, float value)
    {
        Fixtures.CopyWithWeight(Fixtures.TinyCheckpoint, _cli.PathOf("bad.safetensors"), value);
        string[] args = command switch
        {
            "supernet-score" => ["supernet-score", "--checkpoint", "bad.safetensors", "--sample", "2", "--out", "s.csv"],
            "search" => ["search", "--checkpoint", "bad.safetensors", "--budget", "2", "--out", "search"],
            "codes" => ["study", "codes", "--checkpoint", "bad.safetensors", "--out", "codes"],
            _ => ["supernet-train", .. Fixtures.TinyTraining, "--epochs", "2", "--resume", "--out", "bad.safetensors"],
        };
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("holds NaN or infinite values", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
