using KShotNas.Spaces;

namespace KShotNas.Search.Strategies;

/// <summary>Uniform random search over the feasible architectures, without repeats.</summary>
public sealed class RandomSearch : StrategyBase
{
    /// <summary>Creates the strategy.</summary>
    public RandomSearch(SearchSpace space, SearchConstraints? constraints = null, ulong seed = 0) : base("random", space, constraints, seed) { }

    /// <inheritdoc />
    protected override void Refill() => Enqueue(SampleFeasible());
}

/// <summary>Every feasible architecture once, in the space's enumeration order (for small spaces).</summary>
public sealed class ExhaustiveSearch : StrategyBase
{
    /// <summary>Creates the strategy.</summary>
    public ExhaustiveSearch(SearchSpace space, SearchConstraints? constraints = null) : base("exhaustive", space, constraints, 0) { }

    /// <inheritdoc />
    protected override void Refill()
    {
        // The position in the enumeration is the generation counter, so the state stays small and resumable.
        foreach (var a in Space.Enumerate().Skip(State.Generation))
        {
            State.Generation++;
            if (Constraints.Allows(Space, a) && IsNew(a))
            {
                Enqueue(a);
                return;
            }
        }
    }
}
