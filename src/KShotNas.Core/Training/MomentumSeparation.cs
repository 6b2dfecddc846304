using KShotNas.Spaces;

namespace KShotNas.Training;

/// <summary>
/// Momentum separation (MS): paths are clustered by their options on chosen decisions (NB201: edges; macro
/// spaces: layers), and each cluster keeps its own momentum buffers over the shared weights.
/// </summary>
public sealed class MomentumSeparation
{
    /// <summary>Creates the clustering over <paramref name="decisions"/> of <paramref name="space"/>.</summary>
    public MomentumSeparation(SearchSpace space, IReadOnlyList<int> decisions)
    {
        if (decisions.Count == 0) throw new ArgumentException("Momentum separation needs at least one decision.");
        if (decisions.Distinct().Count() != decisions.Count || decisions.Any(d => d < 0 || d >= space.Decisions.Count))
            throw new ArgumentException($"MS decisions must be distinct indices in 0..{space.Decisions.Count - 1}.");
        Space = space;
        Decisions = decisions.ToArray();
        ClusterCount = Decisions.Aggregate(1, (n, d) => n * space.Decisions[d].Count);
    }

    /// <summary>
    /// Uses <paramref name="given"/> when not empty; otherwise NB201 draws <paramref name="count"/> distinct edges at
    /// random (the seeds draw the edge once per run) and macro spaces take their first <paramref name="count"/> layers.
    /// </summary>
    public static MomentumSeparation Choose(SearchSpace space, int count, IReadOnlyList<int>? given, Random rng)
    {
        if (given is { Count: > 0 }) return new MomentumSeparation(space, given);
        if (count < 1 || count > space.Decisions.Count) throw new ArgumentOutOfRangeException(nameof(count), count, "Invalid number of MS decisions.");
        if (space is not Nb201Space) return new MomentumSeparation(space, Enumerable.Range(0, count).ToArray());
        var all = Enumerable.Range(0, space.Decisions.Count).ToArray();
        for (var i = all.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return new MomentumSeparation(space, all.Take(count).Order().ToArray());
    }

    /// <summary>The space.</summary>
    public SearchSpace Space { get; }
    /// <summary>The clustering decisions.</summary>
    public IReadOnlyList<int> Decisions { get; }
    /// <summary>Number of clusters (the product of the decisions' option counts).</summary>
    public int ClusterCount { get; }

    /// <summary>The cluster of a path: its options on the MS decisions, as a mixed-radix number.</summary>
    public int ClusterOf(Architecture a)
    {
        var c = 0;
        foreach (var d in Decisions) c = c * Space.Decisions[d].Count + a[d];
        return c;
    }
}
