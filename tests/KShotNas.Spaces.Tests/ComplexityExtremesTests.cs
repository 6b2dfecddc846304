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
}
