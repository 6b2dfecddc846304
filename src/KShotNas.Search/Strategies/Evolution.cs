using KShotNas.Spaces;

namespace KShotNas.Search.Strategies;

/// <summary>
/// The seeds' evolutionary search: a first generation of <c>population</c> random feasible architectures, then each
/// generation takes the best <c>parents</c> evaluated so far and makes half of its children by mutation and half
/// by crossover (defaults: population 50, 20 generations = 1,000 paths, 20 parents, mutation probability 0.1).
/// Generations continue past the nominal count while the caller's budget lasts.
/// </summary>
public sealed class EvolutionarySearch : StrategyBase
{
    private readonly int _population, _parents;
    private readonly double _mutation;

    /// <summary>Creates the strategy.</summary>
    public EvolutionarySearch(SearchSpace space, SearchConstraints? constraints = null, ulong seed = 0, int population = 50, int parents = 20,
        double mutationProbability = 0.1) : base("evolution", space, constraints, seed)
    {
        if (population < 2 || parents < 2) throw new ArgumentException("Population and parents must be at least 2.");
        (_population, _parents, _mutation) = (population, parents, mutationProbability);
    }

    /// <inheritdoc />
    protected override void Refill()
    {
        if (State.History.Count < _population)
        {
            for (var i = State.History.Count; i < _population; i++) Enqueue(SampleFeasible());
            return;
        }
        var parents = ByAccuracy(Enumerable.Range(0, State.History.Count)).Take(_parents).Select(i => Arch(State.History[i])).ToArray();
        var mutants = _population / 2;
        for (var i = 0; i < mutants; i++) Enqueue(MutantOrRandom(parents, _mutation));
        for (var i = mutants; i < _population; i++)
            Enqueue(Draw(() => Space.Crossover(parents[Rng.Next(parents.Length)], parents[Rng.Next(parents.Length)], Rng))
                    ?? MutantOrRandom(parents, _mutation));
        State.Generation++;
    }
}

/// <summary>
/// Regularized (aging) evolution (Real et al., 2019): a population of the last <c>population</c> evaluated
/// architectures; each step mutates the best of <c>sampleSize</c> random members, and the oldest member dies.
/// </summary>
public sealed class RegularizedEvolution : StrategyBase
{
    private readonly int _population, _sample;
    private readonly double _mutation;

    /// <summary>Creates the strategy (defaults: population 50, tournament of 10, mutation probability 0.1).</summary>
    public RegularizedEvolution(SearchSpace space, SearchConstraints? constraints = null, ulong seed = 0, int population = 50, int sampleSize = 10,
        double mutationProbability = 0.1) : base("regularized-evolution", space, constraints, seed)
    {
        if (sampleSize < 1 || sampleSize > population) throw new ArgumentException("The tournament size must be in 1..population.");
        (_population, _sample, _mutation) = (population, sampleSize, mutationProbability);
    }

    /// <inheritdoc />
    protected override void Refill()
    {
        if (State.History.Count < _population)
        {
            Enqueue(SampleFeasible());
            return;
        }
        var contestants = Enumerable.Range(0, _sample).Select(_ => State.Population[Rng.Next(State.Population.Count)]);
        var parent = Arch(State.History[ByAccuracy(contestants).First()]);
        Enqueue(MutantOrRandom([parent], _mutation));
    }

    /// <inheritdoc />
    protected override void OnEvaluated(int index)
    {
        State.Population.Add(index);
        if (State.Population.Count > _population) State.Population.RemoveAt(0); // aging: the oldest dies
    }
}
