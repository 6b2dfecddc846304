using KShotNas.Spaces;

namespace KShotNas.Study.Tests;

public sealed class ReferenceSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-ref-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void SelectionSpansTheComplexityRangeAndSkipsDisconnectedCells()
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        var picked = ReferenceSet.SelectStratified(space, 60, 0, ReferenceSet.IsDisconnected);
        Assert.Equal(60, picked.Distinct().Count());
        Assert.DoesNotContain(picked, ReferenceSet.IsDisconnected);
        var complexities = picked.Select(a => space.Profile(a).Complexity).ToList();
        var eligible = space.Enumerate().Where(a => !ReferenceSet.IsDisconnected(a)).Select(a => space.Profile(a).Complexity).Order().ToList();
        Assert.True(complexities.Min() <= eligible[eligible.Count / 50], "the cheapest 2% are represented");
        Assert.True(complexities.Max() >= eligible[eligible.Count - 1 - eligible.Count / 50], "the most complex 2% are represented");
        Assert.Contains(picked, a => Nb201Space.Count(a, Nb201Space.Conv3x3) + Nb201Space.Count(a, Nb201Space.Conv1x1) == 0); // weak: no conv
        Assert.Contains(picked, a => Nb201Space.Count(a, Nb201Space.Conv3x3) >= 4);                                          // strong
        Assert.Equal(picked, ReferenceSet.SelectStratified(space, 60, 0, ReferenceSet.IsDisconnected)); // fixed by the seed
        Assert.True(ReferenceSet.IsDisconnected(space.Parse("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")) == false);
        Assert.True(ReferenceSet.IsDisconnected(space.Parse("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|")));
    }

    [Fact]
    public void RunsAppendResumeAndSummarizeWithSeedToSeedTau()
    {
        var path = Path.Combine(_dir, "runs.csv");
        Assert.Empty(ReferenceSet.ReadRuns(path));
        // seed 1 ranks a > b > c like seed 0 except b/c swapped: tau-b = (2 - 1) / 3
        foreach (var (arch, s0, s1) in new[] { ("a", 0.9, 0.91), ("b", 0.8, 0.7), ("c", 0.75, 0.78) })
        {
            ReferenceSet.AppendRun(path, new ReferenceRun(arch, 0, s0, 3, 1000, 1.5));
            ReferenceSet.AppendRun(path, new ReferenceRun(arch, 1, s1, 3, 1000, 1.5));
        }
        ReferenceSet.AppendRun(path, new ReferenceRun("d", 0, 0.5, 3, 1000, 1.5)); // an interrupted study: one seed only
        var runs = ReferenceSet.ReadRuns(path);
        Assert.Equal(7, runs.Count);
        var (means, tau, paired) = ReferenceSet.Summarize(runs);
        Assert.Equal(4, means.Count);
        Assert.Equal(0.805, means.Single(m => m.Arch == "a").Accuracy - 0.1, 10);
        Assert.Equal(3, paired);
        Assert.Equal(1.0 / 3, tau, 10);
    }

    [Fact]
    public void MixedRecipesAreRefused()
    {
        var runs = new List<ReferenceRun> { new("a", 0, 0.9, 2, 30000, 1), new("a", 1, 0.9, 2, 30000, 1) };
        ReferenceSet.CheckOneRecipe(runs, 2, 30000);
        var other = Assert.Throws<ArgumentException>(() => ReferenceSet.CheckOneRecipe(runs, 3, 30000));
        Assert.Contains("2 epochs on 30,000 images", other.Message);
        runs.Add(new ReferenceRun("b", 0, 0.8, 3, 30000, 1));
        Assert.Throws<ArgumentException>(() => ReferenceSet.Summarize(runs));
    }
}
