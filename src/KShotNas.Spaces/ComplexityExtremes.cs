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

    private static Architecture Find(SearchSpace space, int sign)
    {
        var a = new Architecture(new int[space.Decisions.Count]);
        for (var sweep = 0; sweep < 3; sweep++)
            for (var d = 0; d < space.Decisions.Count; d++)
            {
                var best = a;
                var bestScore = sign * space.Profile(a).Complexity;
                for (var o = 0; o < space.Decisions[d].Count; o++)
                {
                    var candidate = a.With(d, o);
                    var score = sign * space.Profile(candidate).Complexity;
                    if (score > bestScore || (score == bestScore && o < best[d])) (best, bestScore) = (candidate, score);
                }
                a = best;
            }
        return a;
    }
}
