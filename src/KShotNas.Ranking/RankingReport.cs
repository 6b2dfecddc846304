namespace KShotNas.Ranking;

/// <summary>Every ranking metric of the spec for one supernet against a reference.</summary>
public sealed record RankingReport(int Count, double KendallTauA, double KendallTauB, double GroupTau, double Spearman, double Pearson,
    double PrecisionAt10, double? ComplexityBias, double? ComplexityConvergence)
{
    /// <summary>
    /// Computes all metrics. Complexity metrics need <paramref name="complexity"/>; rho_cc also needs the scores to be
    /// accuracies (<paramref name="scoresAreAccuracies"/>).
    /// </summary>
    public static RankingReport Compute(IReadOnlyList<double> scores, IReadOnlyList<double> reference, IReadOnlyList<double>? complexity = null,
        bool scoresAreAccuracies = true)
    {
        var k = KendallTau.Compute(scores, reference);
        return new RankingReport(scores.Count, k.TauA, k.TauB, Metrics.GroupTau(scores, reference), Metrics.Spearman(scores, reference),
            Metrics.Pearson(scores, reference), Metrics.PrecisionAtK(scores, reference, Math.Min(10, scores.Count)),
            complexity is null ? null : Metrics.ComplexityBias(scores, reference, complexity),
            complexity is null || !scoresAreAccuracies ? null : Metrics.ComplexityConvergenceCorrelation(scores, reference, complexity));
    }
}
