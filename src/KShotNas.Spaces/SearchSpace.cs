using System.Numerics;

namespace KShotNas.Spaces;

/// <summary>
/// A search space as a product of independent categorical decisions (cell edges, layer operations,
/// layer widths). Sampling, enumeration, mutation, crossover and one-hot encoding are shared; each
/// space supplies its decisions, its text form and its analytic profile.
/// </summary>
public abstract class SearchSpace
{
    /// <summary>Creates the space over <paramref name="decisions"/>.</summary>
    protected SearchSpace(string name, IReadOnlyList<Decision> decisions)
    {
        if (decisions.Count == 0 || decisions.Any(d => d.Count == 0)) throw new ArgumentException("Every decision needs at least one option.");
        Name = name;
        Decisions = decisions;
        Size = decisions.Aggregate(BigInteger.One, (s, d) => s * d.Count);
        EncodingLength = decisions.Sum(d => d.Count);
    }

    /// <summary>Short name, e.g. "nb201".</summary>
    public string Name { get; }

    /// <summary>The decisions, in the order of <see cref="Architecture.Choices"/>.</summary>
    public IReadOnlyList<Decision> Decisions { get; }

    /// <summary>Number of architectures.</summary>
    public BigInteger Size { get; }

    /// <summary>Length of <see cref="Encode"/>'s one-hot vector.</summary>
    public int EncodingLength { get; }

    /// <summary>Input channels, height, width and number of classes of the space's networks.</summary>
    public abstract (int Channels, int Height, int Width, int Classes) InputShape { get; }

    /// <summary>The space's own text form (tables are joined on it).</summary>
    public abstract string Format(Architecture architecture);

    /// <summary>Parses the text form exactly; raises <see cref="ArchitectureFormatException"/> otherwise.</summary>
    public abstract Architecture Parse(string text);

    /// <summary>Params, FLOPs and complexity score of the stand-alone network the architecture denotes.</summary>
    public abstract NetworkProfile Profile(Architecture architecture);

    /// <summary>Throws unless the architecture has one valid option per decision.</summary>
    public void Validate(Architecture architecture)
    {
        if (architecture.Choices.Length != Decisions.Count)
            throw new ArgumentException($"{Name} architectures have {Decisions.Count} decisions, got {architecture.Choices.Length}.");
        for (var i = 0; i < Decisions.Count; i++)
            if ((uint)architecture[i] >= (uint)Decisions[i].Count)
                throw new ArgumentException($"Decision {Decisions[i].Name}: option {architecture[i]} is out of range 0..{Decisions[i].Count - 1}.");
    }

    /// <summary>A uniformly random architecture.</summary>
    public Architecture Sample(Random rng) => new(Decisions.Select(d => rng.Next(d.Count)));

    /// <summary>All architectures in lexicographic order of choices; refuses spaces above <paramref name="limit"/>.</summary>
    public IEnumerable<Architecture> Enumerate(long limit = 10_000_000)
    {
        if (Size > limit) throw new InvalidOperationException($"{Name} has {Size} architectures, more than the enumeration limit {limit}.");
        var choices = new int[Decisions.Count];
        while (true)
        {
            yield return new Architecture(choices);
            var i = choices.Length - 1;
            while (i >= 0 && ++choices[i] == Decisions[i].Count) choices[i--] = 0;
            if (i < 0) yield break;
        }
    }

    /// <summary>
    /// Resamples each decision with probability <paramref name="probability"/> to a different option;
    /// at least one decision changes (when any decision has two or more options).
    /// </summary>
    public Architecture Mutate(Architecture parent, Random rng, double probability = 0.1)
    {
        Validate(parent);
        var mutable = Enumerable.Range(0, Decisions.Count).Where(i => Decisions[i].Count > 1).ToArray();
        if (mutable.Length == 0) return parent;
        var choices = parent.Choices.ToArray();
        var changed = false;
        foreach (var i in mutable)
            if (rng.NextDouble() < probability) { choices[i] = Other(i, choices[i], rng); changed = true; }
        if (!changed)
        {
            var i = mutable[rng.Next(mutable.Length)];
            choices[i] = Other(i, choices[i], rng);
        }
        return new Architecture(choices);
    }

    private int Other(int decision, int current, Random rng)
    {
        var pick = rng.Next(Decisions[decision].Count - 1);
        return pick >= current ? pick + 1 : pick;
    }

    /// <summary>Uniform crossover: each decision from either parent with probability 1/2.</summary>
    public Architecture Crossover(Architecture a, Architecture b, Random rng)
    {
        Validate(a);
        Validate(b);
        return new Architecture(a.Choices.Select((c, i) => rng.Next(2) == 0 ? c : b[i]));
    }

    /// <summary>Concatenated one-hot vectors of the decisions (the simplex-net's input).</summary>
    public float[] Encode(Architecture architecture)
    {
        Validate(architecture);
        var v = new float[EncodingLength];
        var offset = 0;
        for (var i = 0; i < Decisions.Count; i++)
        {
            v[offset + architecture[i]] = 1;
            offset += Decisions[i].Count;
        }
        return v;
    }
}

/// <summary>
/// Analytic cost of a stand-alone network: trainable parameters, multiply-accumulates (conv and linear only)
/// and the CaLR complexity score (weights of the conv and linear layers the path uses; no BN, no biases).
/// </summary>
public readonly record struct NetworkProfile(long Params, long Flops, long Complexity);
