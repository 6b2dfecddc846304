using KShotNas.Spaces;

namespace KShotNas.Spaces.Tests;

public sealed class ComplexityExtremesTests
{
    public static TheoryData<string> Spaces => new() { "nb201", "macro" };

    [Theory]
    [MemberData(nameof(Spaces))]
    public void CoordinateSearchFindsTheTrueExtremesOfEnumerableSpaces(string name)
    {
        SearchSpace space = name == "nb201" ? new Nb201Space(Nb201Options.FashionMnistSmall) : new NasBenchMacroSpace();
        var all = space.Enumerate().Select(a => space.Profile(a).Complexity).ToList();
        Assert.Equal(all.Min(), space.Profile(ComplexityExtremes.Least(space)).Complexity);
        Assert.Equal(all.Max(), space.Profile(ComplexityExtremes.Most(space)).Complexity);
    }

    [Theory]
    [MemberData(nameof(Spaces))]
    public void SmallestCostIsTheTrueLeastFlopsAndParameters(string name)
    {
        SearchSpace space = name == "nb201" ? new Nb201Space(Nb201Options.FashionMnistSmall) : new NasBenchMacroSpace();
        var profiles = space.Enumerate().Select(space.Profile).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (flops, parameters) = ComplexityExtremes.SmallestCost(space);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 0.5); // the limit checks run it before any data is read
        Assert.Equal(profiles.Min(p => p.Flops), flops);
        Assert.Equal(profiles.Min(p => p.Params), parameters);
    }

    [Fact]
    public void SmallestCostOfTheWidthSearchingSpaceIsAtMostAnySample()
    {
        var space = SpaceCatalog.Create("mobilenetv2:fashion-small");
        var (flops, parameters) = ComplexityExtremes.SmallestCost(space);
        var rng = new Random(3);
        for (var i = 0; i < 500; i++)
        {
            var p = space.Profile(space.Sample(rng));
            Assert.True(p.Flops >= flops && p.Params >= parameters, $"{p} is below the smallest cost ({flops}, {parameters})");
        }
    }
}
