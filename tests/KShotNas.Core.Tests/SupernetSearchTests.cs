using KShotNas.Data;
using KShotNas.Evaluation;
using KShotNas.Search;
using KShotNas.Search.Strategies;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;

namespace KShotNas.Core.Tests;

public class SupernetSearchTests
{
    public SupernetSearchTests() => TorchRuntime.Threads = 2;

    [Fact]
    public void EvolutionSearchesWithASupernetUnderAFlopsBudget()
    {
        var space = new Nb201Space(new Nb201Options(4, 1, 1, 8, 10));
        TorchRuntime.ManualSeed(1);
        using var net = new Nb201Supernet(space);
        using var scope = TensorScope.Begin();
        using var validation = new ImageDataset(Tensor.Randn([128, 1, 8, 8]), Tensor.RandInt(0, 10, [128]), 10);
        var flopsLimit = space.Profile(space.Parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|nor_conv_1x1~2|")).Flops;
        var scorer = new SupernetScorer(net, validation, options: new SupernetEvaluatorOptions { BatchSize = 128 });
        var result = SearchRunner.Run(new EvolutionarySearch(space, new SearchConstraints(flopsLimit), seed: 4, population: 10, parents: 4),
            scorer, space, 40);
        Assert.Equal(40, result.Candidates.Count);
        Assert.All(result.Candidates, c => Assert.True(c.Result.Flops <= flopsLimit));
        Assert.All(result.Candidates, c => Assert.InRange(c.Result.Accuracy, 0, 1));
        // cached: scoring again returns the same numbers
        var again = scorer.Evaluate([space.Parse(result.Best.Arch)]);
        Assert.Equal(result.Best.Result.Accuracy, again[0].Accuracy);
    }
}
