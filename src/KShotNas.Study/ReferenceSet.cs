using System.Globalization;
using System.Text;
using KShotNas.Ranking;
using KShotNas.Spaces;

namespace KShotNas.Study;

/// <summary>One stand-alone training run of the reference set.</summary>
public sealed record ReferenceRun(string Arch, int Seed, double Accuracy, int Epochs, int TrainImages, double Seconds);

/// <summary>
/// The ranking study's stand-alone reference: a fixed selection of architectures, each trained from scratch with
/// several seeds by one recipe. Runs are appended to a CSV one row at a time, so an interrupted study resumes
/// by skipping the (arch, seed) pairs already there.
/// </summary>
public static class ReferenceSet
{
    private const string Header = "arch,seed,accuracy,epochs,train_images,seconds";

    /// <summary>
    /// Picks <paramref name="count"/> architectures spread over the complexity range, fixed by the seed before any
    /// result is seen: the space sorted by complexity score is cut into <paramref name="count"/> equal strata and one
    /// architecture is drawn from each, so cheap weak cells and conv-heavy strong cells are both present.
    /// </summary>
    public static List<Architecture> SelectStratified(SearchSpace space, int count, int seed, Func<Architecture, bool>? exclude = null)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "Select at least 2 architectures.");
        var all = space.Enumerate().Where(a => exclude is null || !exclude(a))
            .Select(a => (Arch: a, Complexity: space.Profile(a).Complexity)).OrderBy(x => x.Complexity).ThenBy(x => x.Arch.ToString()).ToList();
        if (all.Count < count) throw new ArgumentException($"The space has only {all.Count} eligible architectures.");
        var rng = new CheckpointableRandom((ulong)seed);
        var picked = new List<Architecture>();
        for (var s = 0; s < count; s++)
        {
            int lo = s * all.Count / count, hi = (s + 1) * all.Count / count;
            picked.Add(all[lo + rng.Next(hi - lo)].Arch);
        }
        return picked;
    }

    /// <summary>NB201 cells whose output does not depend on the input (no path of non-'none' edges from node 0 to 3).</summary>
    public static bool IsDisconnected(Architecture a)
    {
        var reach = new bool[4];
        reach[0] = true;
        for (var to = 1; to <= 3; to++)
            for (var from = 0; from < to; from++)
                if (reach[from] && a[Nb201Space.EdgeIndex(to, from)] != Nb201Space.None) reach[to] = true;
        return !reach[3];
    }

    /// <summary>Runs already recorded in a runs CSV (empty when the file does not exist yet).</summary>
    public static List<ReferenceRun> ReadRuns(string path)
    {
        if (!File.Exists(path)) return new List<ReferenceRun>();
        var runs = new List<ReferenceRun>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (lineNo == 1 || line.Trim().Length == 0) continue;
            var c = line.Split(',');
            if (c.Length != 6) throw new FormatException($"{path}:{lineNo}: expected {Header}");
            runs.Add(new ReferenceRun(c[0], int.Parse(c[1], CultureInfo.InvariantCulture), double.Parse(c[2], CultureInfo.InvariantCulture),
                int.Parse(c[3], CultureInfo.InvariantCulture), int.Parse(c[4], CultureInfo.InvariantCulture), double.Parse(c[5], CultureInfo.InvariantCulture)));
        }
        return runs;
    }

    /// <summary>Appends one run (creating the file with its header), flushed at once.</summary>
    public static void AppendRun(string path, ReferenceRun run)
    {
        var exists = File.Exists(path);
        using var writer = new StreamWriter(path, append: true, Encoding.UTF8);
        if (!exists) writer.WriteLine(Header);
        writer.WriteLine(FormattableString.Invariant($"{run.Arch},{run.Seed},{run.Accuracy:R},{run.Epochs},{run.TrainImages},{run.Seconds:F1}"));
        writer.Flush();
    }

    /// <summary>
    /// Mean accuracy per architecture over its seeds, and the reference's own seed-to-seed Kendall tau-b between the
    /// two lowest seeds (the ceiling no supernet can beat); only architectures with both seeds count for the tau.
    /// </summary>
    public static (IReadOnlyList<(string Arch, double Accuracy)> Means, double SeedToSeedTau, int Paired) Summarize(IReadOnlyList<ReferenceRun> runs)
    {
        CheckOneRecipe(runs, null, null);
        var byArch = runs.GroupBy(r => r.Arch).ToList();
        var means = byArch.Select(g => (g.Key, g.Average(r => r.Accuracy))).ToList();
        var seeds = runs.Select(r => r.Seed).Distinct().Order().Take(2).ToArray();
        var pairs = seeds.Length < 2 ? [] : byArch
            .Select(g => (A: g.FirstOrDefault(r => r.Seed == seeds[0]), B: g.FirstOrDefault(r => r.Seed == seeds[1])))
            .Where(p => p.A is not null && p.B is not null).ToList();
        var tau = pairs.Count >= 2 ? KendallTau.Compute(pairs.Select(p => p.A!.Accuracy).ToArray(), pairs.Select(p => p.B!.Accuracy).ToArray()).TauB : double.NaN;
        return (means, tau, pairs.Count);
    }

    /// <summary>
    /// Throws when the runs mix recipes (epochs, training images), or differ from the given one: a reference is only
    /// meaningful when every cell was trained the same way.
    /// </summary>
    public static void CheckOneRecipe(IReadOnlyList<ReferenceRun> runs, int? epochs, int? trainImages)
    {
        var recipes = runs.Select(r => (r.Epochs, r.TrainImages)).Distinct().ToList();
        if (epochs is not null && trainImages is not null && recipes.Count > 0 && recipes.Any(r => r != (epochs.Value, trainImages.Value)))
            throw new ArgumentException($"The runs file holds runs of another recipe ({string.Join(", ", recipes.Select(r => $"{r.Epochs} epochs on {r.TrainImages:N0} images"))}) "
                                        + $"than {epochs} epochs on {trainImages:N0} images; use another --out or the same recipe.");
        if (recipes.Count > 1)
            throw new ArgumentException($"The runs mix recipes: {string.Join(", ", recipes.Select(r => $"{r.Epochs} epochs on {r.TrainImages:N0} images"))}.");
    }
}
