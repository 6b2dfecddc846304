using System.Text.Json;
using KShotNas.Spaces;

namespace KShotNas.Search.Strategies;

/// <summary>One evaluated candidate in a strategy's history.</summary>
public sealed record HistoryEntry(int[] Choices, Evaluation Result);

/// <summary>Everything a strategy needs to resume: the random stream, the history, pending proposals and its own lists.</summary>
public sealed class StrategyState
{
    /// <summary>Strategy name.</summary>
    public string Kind { get; set; } = "";
    /// <summary>Random generator state.</summary>
    public ulong[] Rng { get; set; } = [];
    /// <summary>Every evaluated candidate, in order.</summary>
    public List<HistoryEntry> History { get; set; } = new();
    /// <summary>Proposals made but not yet evaluated, then proposals queued for later.</summary>
    public List<int[]> Queue { get; set; } = new();
    /// <summary>Indices into History of the current population (evolutionary strategies).</summary>
    public List<int> Population { get; set; } = new();
    /// <summary>Completed generations (exhaustive search: position in the enumeration).</summary>
    public int Generation { get; set; }
    /// <summary>History index where the current generation's offspring start (NSGA-II).</summary>
    public int Marker { get; set; }
}

/// <summary>
/// Shared machinery of the strategies: seeded random stream, history, duplicate avoidance, constraint-checked
/// sampling and mutation, and state (de)serialization.
/// </summary>
public abstract class StrategyBase : ISearchStrategy
{
    private const int MaxAttempts = 10_000;
    private readonly HashSet<Architecture> _seen = new();

    /// <summary>Creates the strategy.</summary>
    protected StrategyBase(string name, SearchSpace space, SearchConstraints? constraints, ulong seed)
    {
        Name = name;
        Space = space;
        Constraints = constraints ?? SearchConstraints.None;
        Rng = new CheckpointableRandom(seed);
        State = new StrategyState { Kind = name };
    }

    /// <inheritdoc />
    public string Name { get; }
    /// <summary>The space searched.</summary>
    public SearchSpace Space { get; }
    /// <summary>Hard constraints.</summary>
    public SearchConstraints Constraints { get; }
    /// <summary>The strategy's random stream.</summary>
    protected CheckpointableRandom Rng { get; private set; }
    /// <summary>The serializable state.</summary>
    protected StrategyState State { get; private set; }

    /// <summary>Every evaluated candidate, in order.</summary>
    public IReadOnlyList<HistoryEntry> History => State.History;

    /// <summary>The architecture of a history entry.</summary>
    protected static Architecture Arch(HistoryEntry e) => new(e.Choices);

    /// <inheritdoc />
    public Architecture? Propose()
    {
        if (State.Queue.Count == 0) Refill();
        if (State.Queue.Count == 0) return null;
        var a = new Architecture(State.Queue[0]);
        State.Queue.RemoveAt(0);
        _seen.Add(a);
        return a;
    }

    /// <summary>Fills <see cref="StrategyState.Queue"/> with the next proposals (leave empty when done).</summary>
    protected abstract void Refill();

    /// <inheritdoc />
    public virtual void Update(Architecture architecture, Evaluation result)
    {
        State.History.Add(new HistoryEntry(architecture.Choices.ToArray(), result));
        _seen.Add(architecture);
        OnEvaluated(State.History.Count - 1);
    }

    /// <summary>Called after a result was recorded at history index <paramref name="index"/>.</summary>
    protected virtual void OnEvaluated(int index) { }

    /// <summary>True when a candidate was neither evaluated nor queued yet.</summary>
    protected bool IsNew(Architecture a) => !_seen.Contains(a) && !State.Queue.Any(q => q.AsSpan().SequenceEqual(a.Choices.AsSpan()));

    /// <summary>Queues a candidate (it must be feasible).</summary>
    protected void Enqueue(Architecture a)
    {
        if (!Constraints.Allows(Space, a)) throw new InvalidOperationException("Internal error: an infeasible candidate was queued.");
        State.Queue.Add(a.Choices.ToArray());
    }

    /// <summary>A uniformly random feasible candidate not seen before; throws when none is found.</summary>
    protected Architecture SampleFeasible() =>
        Draw(() => Space.Sample(Rng), MaxAttempts) ?? throw new InfeasibleConstraintsException(
            $"Random sampling found no new architecture within {Constraints} after {MaxAttempts} attempts: the constraints "
            + "leave (almost) nothing, or the space is exhausted. Relax the constraints.");

    /// <summary>
    /// Draws from <paramref name="make"/> until a new feasible candidate appears, or null after <paramref name="attempts"/> tries
    /// (converged parents can stop producing new children; callers then fall back to mutation or random sampling).
    /// </summary>
    protected Architecture? Draw(Func<Architecture> make, int attempts = 200)
    {
        for (var i = 0; i < attempts; i++)
        {
            var a = make();
            if (IsNew(a) && Constraints.Allows(Space, a)) return a;
        }
        return null;
    }

    /// <summary>A new feasible mutant of a random member of <paramref name="parents"/>, else a random feasible architecture.</summary>
    protected Architecture MutantOrRandom(IReadOnlyList<Architecture> parents, double probability) =>
        Draw(() => Space.Mutate(parents[Rng.Next(parents.Count)], Rng, probability)) ?? SampleFeasible();

    /// <inheritdoc />
    public string SaveState()
    {
        State.Rng = Rng.State;
        return JsonSerializer.Serialize(State, SearchJson.Options);
    }

    /// <summary>Replaces this strategy's state with a saved one (same kind, same space).</summary>
    public void RestoreState(string json)
    {
        var state = JsonSerializer.Deserialize<StrategyState>(json, SearchJson.Options) ?? throw new FormatException("Empty strategy state.");
        if (state.Kind != Name) throw new FormatException($"The state belongs to strategy '{state.Kind}', not '{Name}'.");
        foreach (var e in state.History) Space.Validate(new Architecture(e.Choices));
        State = state;
        Rng = new CheckpointableRandom(state.Rng);
        _seen.Clear();
        foreach (var e in state.History) _seen.Add(Arch(e));
    }

    /// <summary>Indices of history entries, best accuracy first (ties: earlier first).</summary>
    protected IEnumerable<int> ByAccuracy(IEnumerable<int> indices) =>
        indices.OrderByDescending(i => State.History[i].Result.Accuracy).ThenBy(i => i);
}
