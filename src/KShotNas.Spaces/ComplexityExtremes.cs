namespace KShotNas.Spaces;

/// <summary>
/// The least and the most complex architecture of a space (by the complexity score of <see cref="SearchSpace.Profile"/>),
/// found by coordinate search: sweep the decisions, each time keeping the option that lowers (raises) the score most.
/// Exact where the score is a sum over decisions; a few sweeps settle the interactions of the width-dependent spaces.
/// </summary>
public static class ComplexityExtremes
{
    /// <summary>The least complex architecture (ties: the lower option index).</summary>
    public static Architecture Least(SearchSpace space) => Find(space, -1);

    /// <summary>The most complex architecture (ties: the lower option index).</summary>
    public static Architecture Most(SearchSpace space) => Find(space, +1);

    /// <summary>
    /// The architecture with the least <paramref name="cost"/> (e.g. FLOPs or parameters), by the same coordinate search;
    /// exact for the catalog's spaces, whose costs grow with each decision's option independently of the others' choice.
    /// </summary>
    public static Architecture Least(SearchSpace space, Func<NetworkProfile, long> cost) => Find(space, -1, cost);

    /// <summary>The least FLOPs and the least parameters any network of <paramref name="space"/> has (milliseconds: no data, no training).</summary>
    public static (long Flops, long Params) SmallestCost(SearchSpace space) =>
        (space.Profile(Least(space, p => p.Flops)).Flops, space.Profile(Least(space, p => p.Params)).Params);

    private static Architecture Find(SearchSpace space, int sign, Func<NetworkProfile, long>? cost = null)
    {
        cost ??= p => p.Complexity;
        var a = new Architecture(new int[space.Decisions.Count]);
        for (var sweep = 0; sweep < 3; sweep++)
            for (var d = 0; d < space.Decisions.Count; d++)
            {
                var best = a;
                var bestScore = sign * cost(space.Profile(a));
                for (var o = 0; o < space.Decisions[d].Count; o++)
                {
                    var candidate = a.With(d, o);
                    var score = sign * cost(space.Profile(candidate));
                    if (score > bestScore || (score == bestScore && o < best[d])) (best, bestScore) = (candidate, score);
                }
                a = best;
            }
        return a;
    }
}
