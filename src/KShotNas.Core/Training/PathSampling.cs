using KShotNas.Spaces;

namespace KShotNas.Training;

/// <summary>How each training step picks its paths.</summary>
public enum PathSampling
{
    /// <summary>SPOS: one uniformly drawn architecture per step.</summary>
    Spos,
    /// <summary>FairNAS (strict fairness): one permutation per decision gives n paths using every option exactly once; one optimizer step.</summary>
    FairNas,
    /// <summary>Sandwich rule: the least and the most complex path plus a few random ones; one optimizer step.</summary>
    Sandwich,
}

/// <summary>Draws the paths of one step; fixed decisions keep a given option (few-shot sub-supernets).</summary>
public sealed class PathSampler
{
    private readonly SearchSpace _space;
    private readonly PathSampling _kind;
    private readonly int _sandwichRandomPaths;
    private readonly IReadOnlyDictionary<int, int> _fixed;
    private readonly Architecture? _smallest, _largest;

    /// <summary>Creates a sampler.</summary>
    public PathSampler(SearchSpace space, PathSampling kind, int sandwichRandomPaths = 2, IReadOnlyDictionary<int, int>? fixedDecisions = null)
    {
        _space = space;
        _kind = kind;
        _sandwichRandomPaths = sandwichRandomPaths;
        _fixed = fixedDecisions ?? new Dictionary<int, int>();
        if (kind == PathSampling.Sandwich)
        {
            _smallest = Fix(ComplexityExtremes.Least(space));
            _largest = Fix(ComplexityExtremes.Most(space));
        }
    }

    /// <summary>
    /// The paths of one step. <paramref name="shared"/> decisions (the momentum-separation edges) take one common
    /// random option across all paths, so a FairNAS step stays in one cluster.
    /// </summary>
    public IReadOnlyList<Architecture> Next(Random rng, IReadOnlyList<int>? shared = null)
    {
        switch (_kind)
        {
            case PathSampling.Spos:
                return [Fix(_space.Sample(rng))];
            case PathSampling.Sandwich:
                var list = new List<Architecture> { _smallest!, _largest! };
                for (var i = 0; i < _sandwichRandomPaths; i++) list.Add(Fix(_space.Sample(rng)));
                return list;
            default:
                return Fair(rng, shared ?? []);
        }
    }

    private Architecture[] Fair(Random rng, IReadOnlyList<int> shared)
    {
        var decisions = _space.Decisions;
        var n = decisions.Max(d => d.Count);
        var choices = new int[n][];
        for (var p = 0; p < n; p++) choices[p] = new int[decisions.Count];
        for (var d = 0; d < decisions.Count; d++)
        {
            int[] column;
            if (_fixed.TryGetValue(d, out var f)) column = Enumerable.Repeat(f, n).ToArray();
            else if (shared.Contains(d)) column = Enumerable.Repeat(rng.Next(decisions[d].Count), n).ToArray();
            else
            {
                // a permutation of the options; a decision with fewer options than n fills the rest at random
                column = Enumerable.Range(0, decisions[d].Count).Concat(Enumerable.Range(0, n - decisions[d].Count)
                    .Select(_ => rng.Next(decisions[d].Count))).ToArray();
                for (var i = n - 1; i > 0; i--)
                {
                    var j = rng.Next(i + 1);
                    (column[i], column[j]) = (column[j], column[i]);
                }
            }
            for (var p = 0; p < n; p++) choices[p][d] = column[p];
        }
        return choices.Select(c => new Architecture(c)).ToArray();
    }

    private Architecture Fix(Architecture a)
    {
        foreach (var (d, o) in _fixed) a = a.With(d, o);
        return a;
    }
}
