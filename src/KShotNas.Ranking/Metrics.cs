namespace KShotNas.Ranking;

/// <summary>Correlation and top-k metrics between predicted scores and reference accuracies.</summary>
public static class Metrics
{
    internal static void CheckPaired(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Sequences differ in length ({x.Count} vs {y.Count}).");
        if (x.Count < 2) throw new ArgumentException("At least two items are needed to measure a ranking.");
        if (x.Any(double.IsNaN) || y.Any(double.IsNaN)) throw new ArgumentException("Scores must not be NaN.");
    }

    /// <summary>The median (the mean of the middle two for an even count); NaN for no values.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) return double.NaN;
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Pearson's correlation coefficient.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Ranks 1..n, tied values sharing their average rank.</summary>
    public static double[] AverageRanks(IReadOnlyList<double> x)
    {
        var order = Enumerable.Range(0, x.Count).OrderBy(i => x[i]).ToArray();
        var ranks = new double[x.Count];
        for (int i = 0, j; i < order.Length; i = j)
        {
            for (j = i + 1; j < order.Length && x[order[j]] == x[order[i]]; j++) { }
            var rank = (i + j + 1) / 2.0; // mean of ranks i+1 .. j
            for (var k = i; k < j; k++) ranks[order[k]] = rank;
        }
        return ranks;
    }

    /// <summary>Spearman's rho: Pearson's r of the average ranks.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(AverageRanks(x), AverageRanks(y));

    /// <summary>Share of the reference's top-k among the scores' top-k (ties broken by index).</summary>
    public static double PrecisionAtK(IReadOnlyList<double> scores, IReadOnlyList<double> reference, int k)
    {
        CheckPaired(scores, reference);
        if (k < 1 || k > scores.Count) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{scores.Count}.");
        var topScores = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToHashSet();
        var topReference = Enumerable.Range(0, reference.Count).OrderByDescending(i => reference[i]).ThenBy(i => i).Take(k);
        return topReference.Count(topScores.Contains) / (double)k;
    }

    /// <summary>
    /// Kendall's tau over the pairs (h, l) with h in the reference's top <paramref name="highFraction"/> and
    /// l in the rest: (agreeing - disagreeing) / (|high| |low|); a score tie counts as neither.
    /// The seeds' "ranking ability for the top". O(n log n).
    /// </summary>
    public static double GroupTau(IReadOnlyList<double> scores, IReadOnlyList<double> reference, double highFraction = 0.5)
    {
        CheckPaired(scores, reference);
        if (highFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(highFraction), highFraction, "Must be in (0, 1).");
        var order = Enumerable.Range(0, reference.Count).OrderByDescending(i => reference[i]).ThenBy(i => i).ToArray();
        var nHigh = Math.Clamp((int)Math.Round(order.Length * highFraction), 1, order.Length - 1);
        var low = order.Skip(nHigh).Select(i => scores[i]).Order().ToArray();
        long agree = 0, disagree = 0;
        foreach (var h in order.Take(nHigh))
        {
            var s = scores[h];
            var below = LowerBound(low, s);               // low scores strictly under s
            var above = low.Length - UpperBound(low, s);  // low scores strictly over s
            agree += below;
            disagree += above;
        }
        return (agree - disagree) / ((double)nHigh * low.Length);
    }

    private static int LowerBound(double[] a, double v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi) { var m = (lo + hi) / 2; if (a[m] < v) lo = m + 1; else hi = m; }
        return lo;
    }

    private static int UpperBound(double[] a, double v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi) { var m = (lo + hi) / 2; if (a[m] <= v) lo = m + 1; else hi = m; }
        return lo;
    }

    /// <summary>
    /// Complexity bias CB: among the pairs the scores mis-order against the reference (strictly both ways) and
    /// whose complexities differ, the share in which the architecture scored lower is the more complex one.
    /// 0.5 means no bias; above 0.5, the supernet under-rates complex architectures. NaN with no such pair.
    /// </summary>
    public static double ComplexityBias(IReadOnlyList<double> scores, IReadOnlyList<double> reference, IReadOnlyList<double> complexity)
    {
        CheckPaired(scores, reference);
        CheckPaired(scores, complexity);
        long misordered = 0, complexLower = 0;
        var n = scores.Count;
        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
            {
                var ds = scores[i] - scores[j];
                var dr = reference[i] - reference[j];
                if (!(ds * dr < 0) || complexity[i] == complexity[j]) continue;
                misordered++;
                var lower = ds < 0 ? i : j;
                var other = lower == i ? j : i;
                if (complexity[lower] > complexity[other]) complexLower++;
            }
        return misordered == 0 ? double.NaN : (double)complexLower / misordered;
    }

    /// <summary>
    /// rho_cc: Kendall's tau-b between complexity scores and convergence ratios (supernet accuracy / stand-alone
    /// accuracy). 0 means no bias; negative means complex architectures converge less in the supernet.
    /// </summary>
    public static double ComplexityConvergenceCorrelation(IReadOnlyList<double> supernetAccuracy, IReadOnlyList<double> standaloneAccuracy,
        IReadOnlyList<double> complexity)
    {
        CheckPaired(supernetAccuracy, standaloneAccuracy);
        if (standaloneAccuracy.Any(a => a <= 0)) throw new ArgumentException("Stand-alone accuracies must be positive to form convergence ratios.");
        var ratios = supernetAccuracy.Select((s, i) => s / standaloneAccuracy[i]).ToArray();
        return KendallTau.Compute(complexity, ratios).TauB;
    }
}
