namespace KShotNas.Ranking;

/// <summary>Kendall's tau-a and tau-b, with the pair counts they come from.</summary>
public readonly record struct KendallResult(double TauA, double TauB, long Pairs, long TiesX, long TiesY, long TiesBoth, long Discordant)
{
    /// <summary>Concordant minus discordant pairs.</summary>
    public long Score => Pairs - TiesX - TiesY + TiesBoth - 2 * Discordant;
}

/// <summary>
/// Kendall's rank correlation in O(n log n) (Knight's algorithm: sort by x then y, count discordant pairs
/// as merge-sort swaps on y). tau-a = (C - D) / (n(n-1)/2), the seeds' definition; tau-b corrects for ties.
/// </summary>
public static class KendallTau
{
    /// <summary>Computes tau-a and tau-b of two equally long sequences.</summary>
    public static KendallResult Compute(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Metrics.CheckPaired(x, y);
        var n = x.Count;
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (a, b) => x[a] != x[b] ? x[a].CompareTo(x[b]) : y[a].CompareTo(y[b]));
        long pairs = (long)n * (n - 1) / 2;
        long tiesX = 0, tiesBoth = 0;
        for (int i = 0, j; i < n; i = j)
        {
            for (j = i + 1; j < n && x[order[j]] == x[order[i]]; j++) { }
            tiesX += (long)(j - i) * (j - i - 1) / 2;
            for (int k = i, m; k < j; k = m)
            {
                for (m = k + 1; m < j && y[order[m]] == y[order[k]]; m++) { }
                tiesBoth += (long)(m - k) * (m - k - 1) / 2;
            }
        }
        var ys = order.Select(i => y[i]).ToArray();
        var discordant = MergeCountSwaps(ys, new double[n], 0, n);
        long tiesY = 0;
        for (int i = 0, j; i < n; i = j) // ys is now sorted
        {
            for (j = i + 1; j < n && ys[j] == ys[i]; j++) { }
            tiesY += (long)(j - i) * (j - i - 1) / 2;
        }
        long score = pairs - tiesX - tiesY + tiesBoth - 2 * discordant;
        var tauA = pairs == 0 ? double.NaN : (double)score / pairs;
        var denom = Math.Sqrt((double)(pairs - tiesX) * (pairs - tiesY));
        var tauB = denom == 0 ? double.NaN : score / denom;
        return new KendallResult(tauA, tauB, pairs, tiesX, tiesY, tiesBoth, discordant);
    }

    /// <summary>Sorts a[lo..hi) ascending and returns the number of strictly inverted pairs.</summary>
    private static long MergeCountSwaps(double[] a, double[] tmp, int lo, int hi)
    {
        if (hi - lo < 2) return 0;
        var mid = (lo + hi) / 2;
        var swaps = MergeCountSwaps(a, tmp, lo, mid) + MergeCountSwaps(a, tmp, mid, hi);
        int i = lo, j = mid, k = lo;
        while (i < mid && j < hi)
        {
            if (a[j] < a[i]) { swaps += mid - i; tmp[k++] = a[j++]; }
            else tmp[k++] = a[i++];
        }
        while (i < mid) tmp[k++] = a[i++];
        while (j < hi) tmp[k++] = a[j++];
        Array.Copy(tmp, lo, a, lo, hi - lo);
        return swaps;
    }
}
