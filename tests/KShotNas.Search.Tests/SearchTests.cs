using KShotNas.Search.Strategies;
using KShotNas.Spaces;
using KShotNas.Spaces.Tests;

namespace KShotNas.Search.Tests;

public class SearchTests
{
    private static readonly Lazy<TabularBenchmark> Macro = new(() =>
        TabularBenchmark.Load(SharedData.Path("data", "nas-bench-macro", "nas-bench-macro_cifar10.json"), new NasBenchMacroSpace()));

    private static readonly string[] Learning = ["random", "evolution", "regularized-evolution", "nsga2"];

    [Fact]
    public void ConstraintsAreNeverViolated()
    {
        var table = Macro.Value;
        var constraints = new SearchConstraints(MaxFlops: 35_000_000, MaxParams: 1_500_000);
        foreach (var name in Learning)
        {
            var result = SearchRunner.Run(StrategyFactory.Create(name, table.Space, constraints, 1), table, table.Space, 300);
            Assert.Equal(300, result.Candidates.Count);
            Assert.All(result.Candidates, c => Assert.True(c.Result.Flops <= 35_000_000 && c.Result.Params <= 1_500_000, $"{name}: {c}"));
            Assert.Equal(300, result.Candidates.Select(c => c.Arch).Distinct().Count()); // no repeated queries
            Assert.True(result.Best.Result.Flops > 30_000_000, $"{name} should use the budget"); // the limit binds
        }
        Assert.Throws<InfeasibleConstraintsException>(() =>
            SearchRunner.Run(new RandomSearch(table.Space, new SearchConstraints(MaxFlops: 1000)), table, table.Space, 5));
    }

    [Fact]
    public void ExhaustiveSearchOnATableReturnsTheTablesBest()
    {
        var table = Macro.Value;
        var result = SearchRunner.Run(new ExhaustiveSearch(table.Space), table, table.Space, 10_000);
        Assert.Equal(6561, result.Candidates.Count);
        Assert.Equal(table.Best.Value.Accuracy, result.Best.Result.Accuracy);
        // the table's top accuracy is shared by 22212220 (the README's best) and 22212202
        var tied = table.Rows.Where(r => r.Value.Accuracy == table.Best.Value.Accuracy).Select(r => table.Space.Format(r.Key)).ToList();
        Assert.Contains("22212220", tied);
        Assert.Contains(result.Best.Arch, tied);
        Assert.Equal(93.13, result.Best.Result.Accuracy, 2);
        var constrained = SearchRunner.Run(new ExhaustiveSearch(table.Space, new SearchConstraints(MaxFlops: 30_000_000)), table, table.Space, 10_000);
        var expected = table.Rows.Where(r => r.Value.Flops <= 30_000_000).MaxBy(r => r.Value.Accuracy);
        Assert.Equal(expected.Value.Accuracy, constrained.Best.Result.Accuracy); // ties exist, so compare the accuracy
        Assert.True(constrained.Best.Result.Flops <= 30_000_000);
    }

    [Fact]
    public void ResumedStrategiesProposeWhatAnUninterruptedRunProposes()
    {
        var table = Macro.Value;
        var constraints = new SearchConstraints(MaxFlops: 45_000_000);
        foreach (var name in Learning.Append("exhaustive"))
        {
            var full = SearchRunner.Run(StrategyFactory.Create(name, table.Space, constraints, 7), table, table.Space, 260).Candidates.Select(c => c.Arch);
            var first = StrategyFactory.Create(name, table.Space, constraints, 7);
            SearchRunner.Run(first, table, table.Space, 137);
            var state = first.SaveState();
            var resumed = StrategyFactory.Create(name, table.Space, constraints, 99); // other seed: everything must come from the state
            resumed.RestoreState(state);
            var continued = SearchRunner.Run(resumed, table, table.Space, 260).Candidates.Select(c => c.Arch);
            Assert.Equal(full, continued);
        }
        Assert.Throws<FormatException>(() => new RandomSearch(table.Space).RestoreState(new EvolutionarySearch(table.Space).SaveState()));
    }

    [Fact]
    public void Nsga2TradesAccuracyAgainstAUserObjective()
    {
        var table = Macro.Value;
        // a made-up "latency": identity layers are free, blocks cost their option index
        var evaluator = new ExtraObjectiveEvaluator(table, a => a.Choices.Sum());
        var nsga = new Nsga2(table.Space, seed: 2, objectives: new Nsga2Objectives(Flops: false, Params: false, Extra: true));
        var result = SearchRunner.Run(nsga, evaluator, table.Space, 400);
        Assert.All(result.Candidates, c => Assert.False(double.IsNaN(c.Result.Extra)));
        var objectives = result.Candidates.Select(c => new[] { -c.Result.Accuracy, c.Result.Extra }).ToList();
        var front = Pareto.NonDominatedSort(objectives)[0].Select(i => result.Candidates[i]).ToList();
        Assert.Contains(front, c => c.Result.Extra == 0);            // the cheapest end: all identities
        Assert.True(front.Count >= 5, $"front of {front.Count}");   // a spread of trade-offs, not one point
        Assert.Throws<InvalidOperationException>(() => SearchRunner.Run(
            new Nsga2(table.Space, objectives: new Nsga2Objectives(Extra: true)), table, table.Space, 120));
    }

    [Fact]
    public void NonDominatedSortingAndCrowdingOnHandMadeCases()
    {
        // minimize both: (1,5) (2,2) (5,1) are mutually non-dominated; (3,3) is dominated by (2,2); (6,6) by all
        double[][] points = [[1, 5], [2, 2], [5, 1], [3, 3], [6, 6]];
        var fronts = Pareto.NonDominatedSort(points);
        Assert.Equal(new[] { 0, 1, 2 }, fronts[0].Order());
        Assert.Equal(new[] { 3 }, fronts[1]);
        Assert.Equal(new[] { 4 }, fronts[2]);
        // crowding of the first front: the ends are infinite; (2,2): (5-1)/(5-1) + (5-1)/(5-1) = 2
        var d = Pareto.CrowdingDistance(points, [0, 1, 2]);
        Assert.True(double.IsPositiveInfinity(d[0]) && double.IsPositiveInfinity(d[2]));
        Assert.Equal(2.0, d[1], 12);
        // constrained domination: feasible beats infeasible whatever the objectives; smaller violation wins among infeasible
        Assert.True(Pareto.Dominates([9, 9], [1, 1], 0, 0.5));
        Assert.False(Pareto.Dominates([1, 1], [9, 9], 0.5, 0));
        Assert.True(Pareto.Dominates([9, 9], [1, 1], 0.1, 0.5));
        Assert.False(Pareto.Dominates([1, 1], [1, 1]));
        var withViolation = Pareto.NonDominatedSort([[1.0, 1.0], [2.0, 2.0]], [1.0, 0.0]);
        Assert.Equal(new[] { 1 }, withViolation[0]);
    }

    [Fact]
    public void TablesRejectMalformedInputAndUnknownArchitectures()
    {
        var dir = Directory.CreateTempSubdirectory("kshotnas-tab-").FullName;
        try
        {
            var space = new Nb201Space();
            var csv = Path.Combine(dir, "t.csv");
            File.WriteAllText(csv, "arch,accuracy\n|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|,71.5\n|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|,60\n");
            var table = TabularBenchmark.Load(csv, space);
            Assert.Equal(2, table.Count);
            Assert.Equal(space.Profile(space.Parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")).Flops, table.Best.Value.Flops);
            var missing = Assert.Throws<KeyNotFoundException>(() => table.Evaluate([space.Parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")]));
            Assert.Contains("not in the table", missing.Message);
            File.WriteAllText(csv, "|bad~0|,1\n");
            Assert.Throws<TableFormatException>(() => TabularBenchmark.Load(csv, space));
            File.WriteAllText(csv, "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|,high\n");
            Assert.Contains("not a number", Assert.Throws<TableFormatException>(() => TabularBenchmark.Load(csv, space)).Message);
            var json = Path.Combine(dir, "t.json");
            File.WriteAllText(json, "{\"0120\": {\"mean_acc\": 1}}");
            Assert.Throws<TableFormatException>(() => TabularBenchmark.Load(json, new NasBenchMacroSpace()));
            File.WriteAllText(json, "{\"01201111\": {\"mean_acc\": 1}}");
            Assert.Contains("needs numeric", Assert.Throws<TableFormatException>(() => TabularBenchmark.Load(json, new NasBenchMacroSpace())).Message);
            File.WriteAllText(json, "[1, 2");
            Assert.Throws<TableFormatException>(() => TabularBenchmark.Load(json, new NasBenchMacroSpace()));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ResultsSaveAsJsonCsvAndSvg()
    {
        var table = Macro.Value;
        var result = SearchRunner.Run(new Nsga2(table.Space, seed: 3), table, table.Space, 120);
        var dir = Directory.CreateTempSubdirectory("kshotnas-res-").FullName;
        try
        {
            result.Save(dir);
            Assert.Equal(121, File.ReadAllLines(Path.Combine(dir, "candidates.csv")).Length);
            Assert.Contains("pareto_front", File.ReadAllText(Path.Combine(dir, "result.json")));
            Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(dir, "pareto.svg")));
            // the front is non-dominated: no candidate is at least as accurate, cheaper in FLOPs and params, and better in one
            foreach (var f in result.ParetoFront)
                Assert.DoesNotContain(result.Candidates, c => c.Result.Accuracy >= f.Result.Accuracy && c.Result.Flops <= f.Result.Flops
                    && c.Result.Params <= f.Result.Params && (c.Result.Accuracy > f.Result.Accuracy || c.Result.Flops < f.Result.Flops || c.Result.Params < f.Result.Params));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
