namespace KShotNas.Ranking.Tests;

public class MetricsTests
{
    [Fact]
    public void KendallMatchesHandCountedCases()
    {
        // 7 concordant, 3 discordant pairs (counted by hand)
        var r = KendallTau.Compute([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]);
        Assert.Equal(0.4, r.TauA, 12);
        Assert.Equal(0.4, r.TauB, 12);
        Assert.Equal(3, r.Discordant);
        // ties: one x-tie pair, one y-tie pair, 4 concordant: tau-a 4/6, tau-b 4/sqrt(5*5)
        var t = KendallTau.Compute([1, 2, 2, 3], [1, 3, 2, 3]);
        Assert.Equal(4.0 / 6, t.TauA, 12);
        Assert.Equal(0.8, t.TauB, 12);
        Assert.Equal(1.0, KendallTau.Compute([1, 2, 3], [10, 20, 30]).TauA);
        Assert.Equal(-1.0, KendallTau.Compute([1, 2, 3], [30, 20, 10]).TauB);
    }

    [Fact]
    public void KendallAgreesWithBruteForceOnRandomDataWithTies()
    {
        var rng = new Random(5);
        for (var trial = 0; trial < 20; trial++)
        {
            var n = rng.Next(2, 300);
            var x = Enumerable.Range(0, n).Select(_ => (double)rng.Next(20)).ToArray();
            var y = Enumerable.Range(0, n).Select(_ => (double)rng.Next(20)).ToArray();
            long c = 0, d = 0, tx = 0, ty = 0;
            for (var i = 0; i < n; i++)
                for (var j = i + 1; j < n; j++)
                {
                    var s = Math.Sign(x[i] - x[j]) * Math.Sign(y[i] - y[j]);
                    if (s > 0) c++; else if (s < 0) d++;
                    if (x[i] == x[j]) tx++;
                    if (y[i] == y[j]) ty++;
                }
            long pairs = (long)n * (n - 1) / 2;
            var r = KendallTau.Compute(x, y);
            Assert.Equal((double)(c - d) / pairs, r.TauA, 12);
            if (tx < pairs && ty < pairs)
                Assert.Equal((c - d) / Math.Sqrt((double)(pairs - tx) * (pairs - ty)), r.TauB, 12);
        }
    }

    [Fact]
    public void KendallIsFastOnTheWholeNb201Space()
    {
        var rng = new Random(1);
        var x = Enumerable.Range(0, 15625).Select(_ => rng.NextDouble()).ToArray();
        var y = x.Select(v => v + rng.NextDouble() * 0.5).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = KendallTau.Compute(x, y);
        Assert.True(clock.ElapsedMilliseconds < 2000, $"{clock.ElapsedMilliseconds} ms");
        Assert.InRange(r.TauA, 0.3, 0.9);
    }

    [Fact]
    public void SpearmanPearsonAndPrecisionHaveKnownValues()
    {
        // average ranks [1, 2.5, 2.5, 4] and [1, 3.5, 2, 3.5]: 3.75 / 4.5
        Assert.Equal(3.75 / 4.5, Metrics.Spearman([1, 2, 2, 3], [1, 3, 2, 3]), 12);
        Assert.Equal(1.0, Metrics.Pearson([1, 2, 3], [2, 4, 6]), 12);
        Assert.Equal(-1.0, Metrics.Pearson([1, 2, 3], [3, 2, 1]), 12);
        // top-2 by score {0, 1}, by reference {0, 2}
        Assert.Equal(0.5, Metrics.PrecisionAtK([9, 8, 1, 0], [9, 1, 8, 0], 2));
        Assert.Equal(new[] { 1, 2.5, 2.5, 4 }, Metrics.AverageRanks([5, 7, 7, 9]));
    }

    [Fact]
    public void GroupTauCountsOnlyHighLowPairs()
    {
        // reference top half {0, 1}, bottom {2, 3}; scores order 0 > 2 > 1 > 3
        // pairs (0,2)+ (0,3)+ (1,2)- (1,3)+ => (3 - 1) / 4
        Assert.Equal(0.5, Metrics.GroupTau([4, 2, 3, 1], [4, 3, 2, 1]), 12);
        Assert.Equal(1.0, Metrics.GroupTau([4, 3, 2, 1], [4, 3, 2, 1]), 12);
    }

    [Fact]
    public void ComplexityBiasAndConvergenceCorrelation()
    {
        // reference: 0 < 1 < 2; the supernet inverts (1, 2); 2 is more complex and scored lower => CB 1
        Assert.Equal(1.0, Metrics.ComplexityBias([1, 3, 2], [1, 2, 3], [10, 20, 30]));
        // same mis-order, but the lower-scored one is the simpler => CB 0
        Assert.Equal(0.0, Metrics.ComplexityBias([1, 3, 2], [1, 2, 3], [10, 30, 20]));
        Assert.True(double.IsNaN(Metrics.ComplexityBias([1, 2, 3], [1, 2, 3], [1, 2, 3])));
        // ratios fall as complexity grows => rho_cc = -1
        Assert.Equal(-1.0, Metrics.ComplexityConvergenceCorrelation([0.9, 0.6, 0.3], [0.9, 0.9, 0.9], [1, 2, 3]), 12);
        Assert.Throws<ArgumentException>(() => KendallTau.Compute([1, 2], [1]));
    }
}
