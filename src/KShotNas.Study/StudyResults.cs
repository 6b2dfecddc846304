using System.Globalization;
using KShotNas.Ranking;
using KShotNas.Spaces;

namespace KShotNas.Study;

/// <summary>One supernet's scores on the reference cells, with its ranking metrics and training cost.</summary>
/// <param name="Method">Method name, as in the score file's name (e.g. "spos-calr-ms").</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Ranking">Every ranking metric against the reference means.</param>
/// <param name="TrainSeconds">Wall time of training (all phases), NaN when no cost was recorded.</param>
/// <param name="PeakMemoryMiB">Peak resident memory of training, NaN when no cost was recorded.</param>
/// <param name="Points">Per cell: supernet score and reference accuracy (for the pictures).</param>
/// <param name="Pick">The cell this supernet scores best among the reference cells under the FLOPs budget: its reference
/// accuracy and FLOPs (null without a budget).</param>
public sealed record StudyRun(string Method, int Seed, RankingReport Ranking, double TrainSeconds, double PeakMemoryMiB,
    IReadOnlyList<(double Reference, double Score)> Points, (double Reference, long Flops)? Pick = null);

/// <summary>Mean and sample standard deviation of one quantity over a method's seeds (spread NaN with one seed).</summary>
public readonly record struct Spread(double Mean, double StdDev, int Count)
{
    /// <summary>Summarizes the finite values.</summary>
    public static Spread Of(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0) return new Spread(double.NaN, double.NaN, 0);
        var mean = v.Average();
        var sd = v.Length < 2 ? double.NaN : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return new Spread(mean, sd, v.Length);
    }
}

/// <summary>
/// Gathers the ranking study: the reference means, every "&lt;method&gt;-s&lt;seed&gt;.csv" score file of a folder, and
/// the cost log written by scripts/study.sh (method,seed,phase,seconds,peak_rss_mib).
/// </summary>
public sealed class StudyResults
{
    private StudyResults(IReadOnlyList<StudyRun> runs, RankingReport referenceCeiling, int referenceCells, long? maxFlops,
        (double Reference, long Flops)? bestUnderBudget) =>
        (Runs, ReferenceCeiling, ReferenceCells, MaxFlops, BestUnderBudget) = (runs, referenceCeiling, referenceCells, maxFlops, bestUnderBudget);

    /// <summary>The FLOPs budget of the pick columns (null: none).</summary>
    public long? MaxFlops { get; }

    /// <summary>The best reference cell under <see cref="MaxFlops"/>: its reference accuracy and FLOPs.</summary>
    public (double Reference, long Flops)? BestUnderBudget { get; }

    /// <summary>Every scored supernet, ordered by method then seed.</summary>
    public IReadOnlyList<StudyRun> Runs { get; }

    /// <summary>The reference's own seed-0 against seed-1 metrics: the ceiling no supernet can beat.</summary>
    public RankingReport ReferenceCeiling { get; }

    /// <summary>Cells in the reference means.</summary>
    public int ReferenceCells { get; }

    /// <summary>The methods, those named in <paramref name="preferredOrder"/> first and in its order, then the others by name.</summary>
    public IReadOnlyList<string> Methods(IReadOnlyList<string> preferredOrder)
    {
        var rank = preferredOrder.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        return Runs.Select(r => r.Method).Distinct().OrderBy(m => rank.GetValueOrDefault(m, int.MaxValue)).ThenBy(m => m, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Loads everything; a score file that shares fewer than 10 cells with the reference is an error. With
    /// <paramref name="maxFlops"/>, each run also records the cell it would pick among the reference cells under that budget.
    /// </summary>
    public static StudyResults Load(SearchSpace space, string referenceCsv, string runsCsv, string scoresFolder, string? costsCsv, long? maxFlops = null)
    {
        long Flops(string arch) => space.Profile(space.Parse(arch)).Flops;
        if (!Directory.Exists(scoresFolder)) throw new DirectoryNotFoundException($"Score folder not found: {scoresFolder}");
        var reference = ScoreTable.Read(referenceCsv);
        var costs = costsCsv is not null && File.Exists(costsCsv) ? ReadCosts(costsCsv) : new Dictionary<(string, int), (double, double)>();
        var runs = new List<StudyRun>();
        foreach (var file in Directory.EnumerateFiles(scoresFolder, "*.csv").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var cut = name.LastIndexOf("-s", StringComparison.Ordinal);
            if (cut <= 0 || !int.TryParse(name[(cut + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
                throw new FormatException($"{file}: score files are named <method>-s<seed>.csv");
            var method = name[..cut];
            var (archs, scores, accuracies, _, _) = ScoreTable.Join(ScoreTable.Read(file), reference);
            if (archs.Length < 10) throw new ArgumentException($"{file} shares only {archs.Length} cells with {referenceCsv}.");
            var complexity = archs.Select(a => (double)space.Profile(space.Parse(a)).Complexity).ToArray();
            var (seconds, memory) = costs.GetValueOrDefault((method, seed), (double.NaN, double.NaN));
            (double, long)? pick = null;
            if (maxFlops is { } budget)
            {
                var feasible = Enumerable.Range(0, archs.Length).Where(i => Flops(archs[i]) <= budget).ToList();
                if (feasible.Count > 0)
                {
                    var best = feasible.MaxBy(i => scores[i]);
                    pick = (accuracies[best], Flops(archs[best]));
                }
            }
            runs.Add(new StudyRun(method, seed, RankingReport.Compute(scores, accuracies, complexity), seconds, memory,
                accuracies.Zip(scores).ToList(), pick));
        }
        (double, long)? bestUnderBudget = null;
        if (maxFlops is { } limit && reference.Where(r => Flops(r.Arch) <= limit).ToList() is { Count: > 0 } under)
        {
            var top = under.MaxBy(r => r.Value);
            bestUnderBudget = (top.Value, Flops(top.Arch));
        }
        return new StudyResults(runs, Ceiling(ReferenceSet.ReadRuns(runsCsv)), reference.Count, maxFlops, bestUnderBudget);
    }

    private static RankingReport Ceiling(IReadOnlyList<ReferenceRun> runs)
    {
        var seeds = runs.Select(r => r.Seed).Distinct().Order().Take(2).ToArray();
        if (seeds.Length < 2) throw new ArgumentException("The reference runs need two seeds for the seed-to-seed ceiling.");
        var pairs = runs.GroupBy(r => r.Arch)
            .Select(g => (A: g.FirstOrDefault(r => r.Seed == seeds[0]), B: g.FirstOrDefault(r => r.Seed == seeds[1])))
            .Where(p => p.A is not null && p.B is not null).ToList();
        if (pairs.Count < 10) throw new ArgumentException($"Only {pairs.Count} reference cells have both seeds.");
        return RankingReport.Compute(pairs.Select(p => p.A!.Accuracy).ToArray(), pairs.Select(p => p.B!.Accuracy).ToArray());
    }

    // Training cost per (method, seed): seconds summed over the training phases, peak memory the maximum; scoring is
    // not training cost. A phase logged as "<phase>-resumed" continued a run that a stop cut off without logging its
    // time, so the wall time is unknown (NaN) rather than too small.
    private static Dictionary<(string, int), (double Seconds, double PeakMiB)> ReadCosts(string path)
    {
        var rows = new List<(string Method, int Seed, double Seconds, double Mib, bool Resumed)>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (++lineNo == 1 || line.Trim().Length == 0) continue;
            var c = line.Split(',');
            if (c.Length != 5) throw new FormatException($"{path}:{lineNo}: expected method,seed,phase,seconds,peak_rss_mib");
            if (c[2].StartsWith("score", StringComparison.Ordinal)) continue; // score, score-recal, score-512: not training
            rows.Add((c[0], int.Parse(c[1], CultureInfo.InvariantCulture), double.Parse(c[3], CultureInfo.InvariantCulture),
                double.Parse(c[4], CultureInfo.InvariantCulture), c[2].EndsWith("-resumed", StringComparison.Ordinal)));
        }
        return rows.GroupBy(r => (r.Method, r.Seed)).ToDictionary(g => g.Key,
            g => (g.Any(r => r.Resumed) ? double.NaN : g.Sum(r => r.Seconds), g.Max(r => r.Mib)));
    }
}
