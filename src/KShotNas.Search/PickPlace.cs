using System.Globalization;

namespace KShotNas.Search;

/// <summary>
/// Where a search's pick stands among the candidates it was chosen from: how decisive its score is (margins over the
/// runner-up and the median, and how many other architectures score within the scoring noise of it) and how much
/// of the FLOPs budget it uses compared with the others. Repeated queries of one architecture count once.
/// </summary>
/// <param name="Candidates">Distinct architectures scored.</param>
/// <param name="Score">The pick's score.</param>
/// <param name="RunnerUp">The best score of another architecture (NaN with one candidate).</param>
/// <param name="Median">The median score over the distinct architectures.</param>
/// <param name="WithinNoise">Other architectures whose score is within <see cref="Noise"/> of the pick's.</param>
/// <param name="Noise">One binomial standard error of the pick's score on the scoring images (0 when their count is unknown).</param>
/// <param name="FlopsRank">1 + the number of distinct architectures with more FLOPs than the pick (1: the largest).</param>
/// <param name="BudgetShare">The pick's FLOPs over the budget (NaN without one).</param>
public sealed record PickPlace(int Candidates, double Score, double RunnerUp, double Median, int WithinNoise, double Noise, int FlopsRank, double BudgetShare)
{
    /// <summary>Computes the place of <paramref name="result"/>'s best candidate.</summary>
    /// <param name="result">The search result.</param>
    /// <param name="scoringImages">Images each candidate was scored on (for the noise band; 0 if unknown).</param>
    /// <param name="flopsBudget">The FLOPs limit of the search, if any.</param>
    public static PickPlace Of(SearchResult result, int scoringImages, long? flopsBudget)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentOutOfRangeException.ThrowIfNegative(scoringImages);
        var best = result.Best;
        var distinct = result.Candidates.GroupBy(c => c.Arch).Select(g => g.First()).ToList();
        var others = distinct.Where(c => c.Arch != best.Arch).ToList();
        var scores = distinct.Select(c => c.Result.Accuracy).OrderBy(a => a).ToArray();
        var median = scores.Length % 2 == 1 ? scores[scores.Length / 2] : (scores[scores.Length / 2 - 1] + scores[scores.Length / 2]) / 2;
        var p = best.Result.Accuracy;
        var noise = scoringImages > 0 ? Math.Sqrt(Math.Max(p * (1 - p), 0) / scoringImages) : 0;
        return new PickPlace(distinct.Count, p, others.Count == 0 ? double.NaN : others.Max(c => c.Result.Accuracy), median,
            others.Count(c => p - c.Result.Accuracy <= noise), noise, 1 + distinct.Count(c => c.Result.Flops > best.Result.Flops),
            flopsBudget is { } b and > 0 ? (double)best.Result.Flops / b : double.NaN);
    }

    /// <summary>One line for reports.</summary>
    public string Summary()
    {
        var s = string.Create(CultureInfo.InvariantCulture,
            $"best score of {Candidates} distinct candidates ({Score:P1}; runner-up {RunnerUp:P1}, median {Median:P1}); ");
        s += Noise > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{WithinNoise} other(s) within one standard error ({Noise:P1}) of it; ")
            : "";
        s += string.Create(CultureInfo.InvariantCulture, $"FLOPs rank {FlopsRank} of {Candidates} (1 = largest)");
        if (!double.IsNaN(BudgetShare)) s += string.Create(CultureInfo.InvariantCulture, $", {BudgetShare:P0} of the FLOPs budget");
        return s;
    }
}
