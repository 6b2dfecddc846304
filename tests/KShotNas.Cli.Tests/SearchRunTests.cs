using System.Text.Json;

namespace KShotNas.Cli.Tests;

/// <summary>Search state is durable (kill -9 loses at most one candidate) and a resume with other settings is refused.</summary>
public sealed class SearchRunTests : IDisposable
{
    private static readonly string Table = FindTable();
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string FindTable()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KShotNas.sln"))) dir = dir.Parent;
        return Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "data", "nas-bench-macro", "nas-bench-macro_cifar10.json"));
    }

    private static string[] SupernetSearch(string checkpoint, string output) =>
        ["search", "--checkpoint", checkpoint, "--strategy", "evolution", "--budget", "40", "--rank-images", "256", "--out", output]; // long enough to be cut mid-run now that scoring is fast

    private static int Candidates(string stateFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(stateFile));
        return doc.RootElement.GetProperty("strategy").GetProperty("History").GetArrayLength();
    }

    [Fact]
    public void KillDashNineDuringSearchLosesNothingAndResumeMatchesAnUninterruptedSearch()
    {
        var checkpoint = Fixtures.TinyCheckpoint;
        var reference = _cli.Run(SupernetSearch(checkpoint, "ref"));
        Assert.True(reference.ExitCode == 0, reference.ToString());
        var state = _cli.PathOf("cut/state.json");
        using (var p = _cli.Start(SupernetSearch(checkpoint, "cut")))
        {
            p.WaitUntil(() => File.Exists(state), TimeSpan.FromSeconds(90), "the first search state");
            p.KillHard();
            p.Wait(TimeSpan.FromSeconds(30));
        }
        // Whole JSON (an atomic write, never torn), written while the search ran, not only at its end.
        var saved = Candidates(state);
        Assert.InRange(saved, 1, 39);
        var resumed = _cli.Run([.. SupernetSearch(checkpoint, "cut"), "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(File.ReadAllText(_cli.PathOf("ref/candidates.csv")), File.ReadAllText(_cli.PathOf("cut/candidates.csv")));
    }

    [Theory]
    [InlineData("--max-flops", "30000000", "max_flops: saved 40000000, now 30000000")]
    [InlineData("--seed", "5", "seed: saved 0, now 5")]
    [InlineData("--strategy", "random", "strategy: saved evolution, now random")]
    public void ResumeWithOtherSettingsIsRefused(string option, string value, string difference)
    {
        string[] baseArgs = ["search", "--table", Table, "--max-flops", "40000000", "--budget", "50", "--out", "s"];
        var first = _cli.Run(baseArgs);
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = File.ReadAllText(_cli.PathOf("s/state.json"));
        var args = baseArgs.ToList();
        args[args.IndexOf("--budget") + 1] = "60"; // a larger budget alone may continue a search
        var i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value;
        else args.AddRange([option, value]);
        var r = _cli.Run([.. args, "--resume"]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains(difference, r.Stderr);
        Assert.Equal(before, File.ReadAllText(_cli.PathOf("s/state.json")));
    }

    [Fact]
    public void ResumeWithAnotherCheckpointIsRefused()
    {
        Fixtures.CopyWithWeight(Fixtures.TinyCheckpoint, _cli.PathOf("other.safetensors"), 0.5f);
        var first = _cli.Run(["search", "--checkpoint", Fixtures.TinyCheckpoint, "--budget", "1", "--rank-images", "32", "--out", "s"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var r = _cli.Run(["search", "--checkpoint", "other.safetensors", "--budget", "2", "--rank-images", "32", "--out", "s", "--resume"]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("checkpoint: saved", r.Stderr);
    }

    [Fact]
    public void DamagedStateIsReportedAndAnExistingStateIsNotReplacedWithoutResume()
    {
        string[] args = ["search", "--table", Table, "--max-flops", "40000000", "--budget", "20", "--out", "s"];
        Assert.Equal(0, _cli.Run(args).ExitCode);
        var again = _cli.Run(args);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("add --resume", again.Stderr);
        var state = _cli.PathOf("s/state.json");
        var text = File.ReadAllText(state);
        File.WriteAllText(state, text[..(text.Length / 2)]); // what a non-atomic writer killed mid-write leaves
        var r = _cli.Run([.. args, "--resume"]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("is damaged", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void TablesWithNonFiniteAccuraciesAreRefused(string value)
    {
        File.WriteAllText(_cli.PathOf("scores.csv"), "arch,score\na,0.5\nb,0.7\nc,0.6\n");
        File.WriteAllText(_cli.PathOf("reference.csv"), $"arch,accuracy\na,0.5\nb,{value}\nc,0.6\n");
        var r = _cli.Run("study", "rank", "--scores", "scores.csv", "--reference", "reference.csv");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("is not a finite number", r.Stderr);
    }
}
