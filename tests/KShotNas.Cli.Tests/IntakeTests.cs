using System.Diagnostics;
using System.Text.Json.Nodes;
using KShotNas.MLNet.Tests;

namespace KShotNas.Cli.Tests;

/// <summary>
/// The user's data and limits as they come (issue 21): image folders with odd files, impossible limits refused before
/// any work, and `run --out` that never mixes or half-writes a folder.
/// </summary>
public sealed class IntakeTests : IDisposable
{
    private static readonly string[] TinyRun =
        ["run", "--train-images", "200", "--supernet-epochs", "1", "--search-budget", "4", "--retrain-epochs", "1", "--scoring-images", "50", "--threads", "1"];

    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static void NoInternalError(CliResult r)
    {
        Assert.DoesNotContain("internal error", r.Stderr);
        Assert.DoesNotContain("please report", r.Stderr);
    }

    private static Dictionary<string, byte[]> AddDamaged(string folder, string scratch)
    {
        var bad = TestImages.Damaged(scratch);
        foreach (var (name, bytes) in bad) File.WriteAllBytes(Path.Combine(folder, name), bytes);
        return bad;
    }

    [Fact]
    public void BadImageFilesAreEachNamedBeforeTraining()
    {
        var data = TestImages.MixedFolder(perClass: 6, classes: 2);
        try
        {
            var cls = Directory.GetDirectories(data).Order(StringComparer.Ordinal).First();
            var bad = AddDamaged(cls, _cli.Dir);
            var r = _cli.Run([.. TinyRun, "--data", data, "--out", "o"]);
            Assert.True(r.ExitCode == 1, r.ToString());
            foreach (var name in bad.Keys) Assert.Contains(Path.Combine(cls, name), r.Stderr);
            Assert.Contains("--skip-bad-images", r.Stderr);
            NoInternalError(r);
            Assert.DoesNotContain("supernet:", r.Stdout);
            Assert.False(Directory.Exists(_cli.PathOf("o")), "a refused run leaves no output folder");
            Assert.Empty(Directory.GetDirectories(_cli.Dir, ".o.*"));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void MixedSizesAndModesTrainWithTheRuleInLogAndReportAndBadFilesSkipped()
    {
        var data = TestImages.MixedFolder(perClass: 60, classes: 3);
        try
        {
            var cls = Directory.GetDirectories(data).Order(StringComparer.Ordinal).Last();
            var bad = AddDamaged(cls, _cli.Dir);
            var r = _cli.Run([.. TinyRun, "--data", data, "--skip-bad-images", "--out", "o"]);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("shorter side is 28", r.Stderr);
            Assert.Contains("40x33: 3", r.Stderr);
            Assert.Contains($"skipped {bad.Count} unreadable image file(s)", r.Stderr);
            var report = File.ReadAllText(_cli.PathOf("o/index.html"));
            Assert.Contains("input images", report);
            Assert.Contains("centre-cropped to 28x28", report);
            Assert.Contains("skipped files", report);
            foreach (var name in bad.Keys) Assert.Contains(name, report);

            // --image-size picks another input; the run takes it (the space follows the data).
            var r2 = _cli.Run([.. TinyRun, "--data", data, "--skip-bad-images", "--image-size", "16", "--out", "o16"]);
            Assert.True(r2.ExitCode == 0, r2.ToString());
            Assert.Contains("size=16", r2.Stdout);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    public static TheoryData<string, string[]> ImpossibleLimits => new()
    {
        { "--max-flops 10", [.. TinyRun, "--max-flops", "10", "--out", "o"] },
        { "--max-flops 1", ["search", "--table", TableFile, "--max-flops", "1", "--budget", "5", "--out", "s"] },
        { "--max-params 1", ["search", "--table", TableFile, "--max-params", "1", "--budget", "5", "--out", "s"] },
        { "--max-flops 1", ["study", "report", "--reference", "r.csv", "--runs", "runs.csv", "--scores", "scores", "--out", "t.md", "--images", "img", "--max-flops", "1"] },
    };

    private static string TableFile
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KShotNas.sln"))) dir = dir.Parent;
            return Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "data", "nas-bench-macro", "nas-bench-macro_cifar10.json"));
        }
    }

    [Theory]
    [MemberData(nameof(ImpossibleLimits))]
    public void ImpossibleLimitsAreRefusedAtOnce(string limit, string[] args) => AssertRefusedFast(args, limit);

    [Fact]
    public void ImpossibleLimitOfASupernetSearchIsRefusedBeforeScoring() =>
        AssertRefusedFast(["search", "--checkpoint", Fixtures.TinyCheckpoint, "--max-flops", "1", "--budget", "4", "--rank-images", "32", "--out", "s"], "--max-flops 1");

    [Fact]
    public void PickCheckRefusesARunWhoseBudgetNoCellMeets()
    {
        var r = _cli.Run([.. TinyRun, "--out", "o"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var path = _cli.PathOf("o/run.json");
        var run = JsonNode.Parse(File.ReadAllText(path))!;
        run["Recipe"]!["MaxFlops"] = 10;
        File.WriteAllText(path, run.ToJsonString());
        AssertRefusedFast(["study", "pick-check", "--run", "o", "--random", "1", "--best", "0", "--threads", "1"], "--max-flops 10");
    }

    private void AssertRefusedFast(string[] args, string limit)
    {
        var clock = Stopwatch.StartNew();
        var r = _cli.Run(args);
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(limit, r.Stderr);
        Assert.Contains("smallest network", r.Stderr);
        NoInternalError(r);
        // The whole process, .NET start-up included; the check itself is analytic (milliseconds).
        Assert.True(seconds < 5, $"refused after {seconds:F1} s: {r}");
        Console.WriteLine($"{args[0]} {limit}: refused in {seconds:F2} s (process)");
    }

    [Fact]
    public void RunRefusesAFolderOfOtherFilesUnlessForced()
    {
        Directory.CreateDirectory(_cli.PathOf("o"));
        File.WriteAllText(_cli.PathOf("o/notes.txt"), "mine");
        var r = _cli.Run([.. TinyRun, "--out", "o"]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("did not write (notes.txt)", r.Stderr);
        Assert.Contains("--force", r.Stderr);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(_cli.PathOf("o")).Select(Path.GetFileName));
        Assert.Equal("mine", File.ReadAllText(_cli.PathOf("o/notes.txt")));

        var forced = _cli.Run([.. TinyRun, "--out", "o", "--force"]);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.False(File.Exists(_cli.PathOf("o/notes.txt")), "--force replaces the folder whole");
        Assert.True(File.Exists(_cli.PathOf("o/run.json")));
    }

    [Fact]
    public void RunReplacesItsOwnRunWholeAndAFailedRunLeavesItIntact()
    {
        var first = _cli.Run([.. TinyRun, "--out", "o"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        File.WriteAllText(_cli.PathOf("o/leftover.txt"), "from the first run");
        var model = File.ReadAllBytes(_cli.PathOf("o/model.zip"));

        // A second run that fails after the folder was opened (a bad image is met when the data is read) changes nothing.
        var data = TestImages.MixedFolder(perClass: 6, classes: 2);
        try
        {
            File.WriteAllBytes(Path.Combine(Directory.GetDirectories(data)[0], "zero.png"), []);
            var failed = _cli.Run([.. TinyRun, "--data", data, "--out", "o"]);
            Assert.True(failed.ExitCode == 1, failed.ToString());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
        Assert.Equal(model, File.ReadAllBytes(_cli.PathOf("o/model.zip")));
        Assert.True(File.Exists(_cli.PathOf("o/leftover.txt")));
        Assert.Empty(Directory.GetDirectories(_cli.Dir, ".o.*"));

        // Running again (./run.sh twice) replaces the earlier run whole: nothing of it stays.
        var second = _cli.Run([.. TinyRun, "--seed", "1", "--out", "o"]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.False(File.Exists(_cli.PathOf("o/leftover.txt")));
        Assert.Equal(["index.html", "model.onnx", "model.zip", "run.json"],
            Directory.GetFileSystemEntries(_cli.PathOf("o")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetDirectories(_cli.Dir, ".o.*"));
    }
}
