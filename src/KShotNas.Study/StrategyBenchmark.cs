using System.Text;
using KShotNas.Search;

namespace KShotNas.Study;

/// <summary>One strategy's statistics over seeds on a table.</summary>
/// <param name="Strategy">The strategy.</param>
/// <param name="Runs">Number of seeds.</param>
/// <param name="BestAt">Per budget: mean and standard deviation of the best true accuracy found.</param>
/// <param name="TopOnePercentShare">Per budget: share of runs that reached the table's top 1%.</param>
/// <param name="QueriesToTopOnePercent">Mean queries to the first top-1% architecture, over the runs that reached one.</param>
public sealed record StrategyStatistics(string Strategy, int Runs, IReadOnlyDictionary<int, (double Mean, double Std)> BestAt,
    IReadOnlyDictionary<int, double> TopOnePercentShare, double QueriesToTopOnePercent);

/// <summary>Runs strategies many times over seeds against a tabular benchmark and summarizes them per query budget.</summary>
public static class StrategyBenchmark
{
    /// <summary>Runs each strategy <paramref name="seeds"/> times for the largest budget.</summary>
    public static IReadOnlyList<StrategyStatistics> Run(TabularBenchmark table, IReadOnlyList<string> strategies, int seeds, IReadOnlyList<int> budgets,
        SearchConstraints? constraints = null, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var max = budgets.Max();
        var results = new List<StrategyStatistics>();
        foreach (var name in strategies)
        {
            var runs = new List<SearchResult>();
            for (var seed = 0; seed < seeds; seed++)
            {
                var strategy = StrategyFactory.Create(name, table.Space, constraints, (ulong)seed);
                runs.Add(SearchRunner.Run(strategy, table, table.Space, max, cancellationToken: cancellationToken));
                progress?.Report($"{name} seed {seed}");
            }
            var bestAt = budgets.ToDictionary(b => b, b =>
            {
                var v = runs.Select(r => r.BestWithin(b)).ToArray();
                var mean = v.Average();
                return (mean, Math.Sqrt(v.Average(x => (x - mean) * (x - mean))));
            });
            var share = budgets.ToDictionary(b => b, b => runs.Count(r => r.BestWithin(b) >= table.TopOnePercentThreshold) / (double)runs.Count);
            var hits = runs.Select(r => r.Candidates.ToList().FindIndex(c => c.Result.Accuracy >= table.TopOnePercentThreshold)).Where(i => i >= 0).ToArray();
            results.Add(new StrategyStatistics(name, seeds, bestAt, share, hits.Length > 0 ? hits.Average(i => i + 1.0) : double.NaN));
        }
        return results;
    }

    /// <summary>A Markdown table of the statistics.</summary>
    public static string Markdown(IReadOnlyList<StrategyStatistics> stats, IReadOnlyList<int> budgets, TabularBenchmark table)
    {
        var sb = new StringBuilder();
        sb.Append($"Table {Path.GetFileName(table.Path)}: {table.Count} architectures, best {table.Best.Value.Accuracy:F2}, top-1% threshold {table.TopOnePercentThreshold:F2}; "
                  + $"{stats[0].Runs} seeds per strategy.\n\n");
        sb.Append("| strategy | " + string.Join(" | ", budgets.Select(b => $"best @ {b} (mean +- std)")) + " | "
                  + string.Join(" | ", budgets.Select(b => $"top-1% @ {b}")) + " | mean queries to top 1% |\n");
        sb.Append("| --- |" + string.Concat(Enumerable.Repeat(" --- |", budgets.Count * 2 + 1)) + "\n");
        foreach (var s in stats)
            sb.Append($"| {s.Strategy} | " + string.Join(" | ", budgets.Select(b => $"{s.BestAt[b].Mean:F2} +- {s.BestAt[b].Std:F2}")) + " | "
                      + string.Join(" | ", budgets.Select(b => $"{s.TopOnePercentShare[b]:P0}")) + $" | {s.QueriesToTopOnePercent:F0} |\n");
        return sb.ToString();
    }
}
