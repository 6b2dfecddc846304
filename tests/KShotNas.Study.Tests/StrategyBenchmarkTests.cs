using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Spaces.Tests;

namespace KShotNas.Study.Tests;

/// <summary>Strategies over many seeds on a tabular benchmark (`kshotnas study search-benchmark`).</summary>
public class StrategyBenchmarkTests
{
    private static readonly Lazy<TabularBenchmark> Macro = new(() =>
        TabularBenchmark.Load(SharedData.Path("data", "nas-bench-macro", "nas-bench-macro_cifar10.json"), new NasBenchMacroSpace()));

    [Fact]
    public void EvolutionBeatsRandomSearchOverSeeds()
    {
        var table = Macro.Value;
        var stats = StrategyBenchmark.Run(table, ["random", "evolution"], 20, [100, 300]);
        var random = stats[0];
        var evolution = stats[1];
        Assert.True(evolution.BestAt[300].Mean > random.BestAt[300].Mean, $"evolution {evolution.BestAt[300]}, random {random.BestAt[300]}");
        Assert.True(evolution.QueriesToTopOnePercent < random.QueriesToTopOnePercent);
        Assert.Contains("| evolution |", StrategyBenchmark.Markdown(stats, [100, 300], table));
    }
}
