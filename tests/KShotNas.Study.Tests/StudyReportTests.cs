using System.Xml.Linq;
using KShotNas.Ranking;
using KShotNas.Spaces;

namespace KShotNas.Study.Tests;

public sealed class StudyReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-study-").FullName;
    private readonly Nb201Space _space = new(Nb201Options.FashionMnistSmall);

    public void Dispose() => Directory.Delete(_dir, true);

    private (string Reference, string Runs, string Scores, string Costs) WriteStudy(int cells)
    {
        var archs = ReferenceSet.SelectStratified(_space, cells, 0, ReferenceSet.IsDisconnected).Select(_space.Format).ToList();
        var runs = Path.Combine(_dir, "runs.csv");
        for (var i = 0; i < cells; i++)
        {
            ReferenceSet.AppendRun(runs, new ReferenceRun(archs[i], 0, 0.80 + 0.001 * i, 2, 1000, 1));
            // seed 1 agrees except that cells 0 and 1 swap (one discordant pair); their means keep seed 0's order
            ReferenceSet.AppendRun(runs, new ReferenceRun(archs[i], 1, i switch { 0 => 0.8012, 1 => 0.8008, _ => 0.80 + 0.001 * i }, 2, 1000, 1));
        }
        var reference = Path.Combine(_dir, "reference.csv");
        ScoreTable.Write(reference, "accuracy", ReferenceSet.Summarize(ReferenceSet.ReadRuns(runs)).Means);
        var scores = Directory.CreateDirectory(Path.Combine(_dir, "scores")).FullName;
        ScoreTable.Write(Path.Combine(scores, "spos-s0.csv"), "score", archs.Select((a, i) => (a, 0.5 + 0.01 * i)));        // same order
        ScoreTable.Write(Path.Combine(scores, "spos-s1.csv"), "score", archs.Select((a, i) => (a, 0.5 - 0.01 * i)));        // reversed
        ScoreTable.Write(Path.Combine(scores, "fsnas-calr-ms-s0.csv"), "score", archs.Select((a, i) => (a, 0.5 + 0.01 * i)));
        var costs = Path.Combine(_dir, "costs.csv");
        File.WriteAllLines(costs, ["method,seed,phase,seconds,peak_rss_mib", "spos,0,train,100,800", "spos,1,train,140,820", "spos,0,score,50,900",
            "fsnas-calr-ms,0,oneshot,60,700", "fsnas-calr-ms,0,train,70,750"]);
        return (reference, runs, scores, costs);
    }

    [Fact]
    public void ComputesEveryRunsMetricsCostsAndTheReferenceCeiling()
    {
        var (reference, runs, scores, costs) = WriteStudy(12);
        var results = StudyResults.Load(_space, reference, runs, scores, costs);

        Assert.Equal(["spos", "fsnas-calr-ms"], results.Methods(StudyReport.Methods.Select(m => m.Method).ToList()));
        var spos0 = results.Runs.Single(r => r is { Method: "spos", Seed: 0 });
        var spos1 = results.Runs.Single(r => r is { Method: "spos", Seed: 1 });
        Assert.Equal(1.0, spos0.Ranking.KendallTauB, 12);
        Assert.Equal(-1.0, spos1.Ranking.KendallTauB, 12);
        Assert.Equal(12, spos0.Points.Count);
        Assert.Equal((100.0, 800.0), (spos0.TrainSeconds, spos0.PeakMemoryMiB));                   // scoring is not training cost
        var fs = results.Runs.Single(r => r.Method == "fsnas-calr-ms");
        Assert.Equal((130.0, 750.0), (fs.TrainSeconds, fs.PeakMemoryMiB));                          // phases summed, peak = max
        var tau = Spread.Of(results.Runs.Where(r => r.Method == "spos").Select(r => r.Ranking.KendallTauB));
        Assert.Equal((0.0, Math.Sqrt(2), 2), (tau.Mean, tau.StdDev, tau.Count));
        // one discordant pair among 66: tau = (65 - 1) / 66
        Assert.Equal(64.0 / 66, results.ReferenceCeiling.KendallTauB, 12);
        Assert.Equal(12, results.ReferenceCells);

        // a run resumed after a stop logged only its tail: its wall time is unknown, not small
        File.AppendAllLines(costs, ["spos,1,train-resumed,10,830"]);
        var resumed = StudyResults.Load(_space, reference, runs, scores, costs).Runs.Single(r => r is { Method: "spos", Seed: 1 });
        Assert.Equal((double.NaN, 830.0), (resumed.TrainSeconds, resumed.PeakMemoryMiB));
    }

    /// <summary>
    /// Under a FLOPs budget each run records the reference cell it would pick (its best-scored cell under the budget);
    /// the rescoring phases are not training cost.
    /// </summary>
    [Fact]
    public void RecordsEachRunsPickUnderABudget()
    {
        var (reference, runs, scores, costs) = WriteStudy(12);
        File.AppendAllLines(costs, ["spos,0,score-recal,70,900", "spos,0,score-512,20,900"]);
        var means = ScoreTable.Read(reference).ToDictionary(r => r.Arch, r => r.Value);
        long Flops(string a) => _space.Profile(_space.Parse(a)).Flops;
        var budget = means.Keys.Select(Flops).Order().ElementAt(6); // the 7 cheapest cells (ties aside) fit
        var results = StudyResults.Load(_space, reference, runs, scores, costs, budget);
        var under = means.Where(m => Flops(m.Key) <= budget).ToList();
        Assert.Equal(under.Max(m => m.Value), results.BestUnderBudget!.Value.Reference, 12);
        // spos seed 0 scores in reference order, so it picks the best cell under the budget; seed 1 scores in reverse: the worst
        var spos0 = results.Runs.Single(r => r is { Method: "spos", Seed: 0 });
        var spos1 = results.Runs.Single(r => r is { Method: "spos", Seed: 1 });
        Assert.Equal(under.Max(m => m.Value), spos0.Pick!.Value.Reference, 12);
        Assert.Equal(under.Min(m => m.Value), spos1.Pick!.Value.Reference, 12);
        Assert.True(spos0.Pick!.Value.Flops <= budget);
        Assert.Equal(100.0, spos0.TrainSeconds);
        Assert.Null(StudyResults.Load(_space, reference, runs, scores, costs).Runs[0].Pick);
    }

    [Fact]
    public void WritesTheTableAndWellFormedPictures()
    {
        var (reference, runs, scores, costs) = WriteStudy(12);
        var markdown = Path.Combine(_dir, "results.md");
        var images = Path.Combine(_dir, "images");
        StudyReport.Write(StudyResults.Load(_space, reference, runs, scores, costs), markdown, images);

        var table = File.ReadAllLines(markdown);
        Assert.Contains(table, l => l.StartsWith("| reference: seed 0 vs seed 1 (ceiling) | 12 cells | ", StringComparison.Ordinal));
        Assert.Contains(table, l => l.StartsWith("| SPOS (= K-shot K=1) | 0 1 | 0.000 ± 1.414 |", StringComparison.Ordinal) && l.EndsWith("| 0.500 ± 0.078 | 120 ± 28 | 810 ± 14 |")); // mean scores 0.555 and 0.445
        Assert.Contains(table, l => l.StartsWith("| FSNAS + CaLR + MS | 0 | 1.000 |", StringComparison.Ordinal));
        Assert.Contains("![Kendall tau-b per method](images/kendall-tau.svg)", table);
        foreach (var svg in new[] { "scores-vs-reference.svg", "kendall-tau.svg" })
        {
            var doc = XDocument.Load(Path.Combine(images, svg));
            Assert.Equal("svg", doc.Root!.Name.LocalName);
        }
        Assert.Equal(3 * 12, XDocument.Load(Path.Combine(images, "scores-vs-reference.svg")).Descendants().Count(e => e.Name.LocalName == "circle"));
    }

    [Fact]
    public void BadInputIsNamed()
    {
        var (reference, runs, scores, costs) = WriteStudy(12);
        File.WriteAllText(Path.Combine(scores, "no-seed.csv"), "arch,score\n");
        var e = Assert.Throws<FormatException>(() => StudyResults.Load(_space, reference, runs, scores, costs));
        Assert.Contains("no-seed.csv", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => StudyResults.Load(_space, reference, runs, Path.Combine(_dir, "missing"), costs));
    }
}
