using KShotNas.Spaces;

namespace KShotNas.Search.Strategies;

/// <summary>Which objectives NSGA-II trades off (accuracy is always one).</summary>
/// <param name="Flops">Minimize FLOPs.</param>
/// <param name="Params">Minimize parameters.</param>
/// <param name="Extra">Minimize the evaluator's extra objective (e.g. measured latency).</param>
public sealed record Nsga2Objectives(bool Flops = true, bool Params = false, bool Extra = false);

/// <summary>
/// NSGA-II: a population of <c>population</c>; each generation makes as many offspring by binary tournament (rank, then
/// crowding distance), crossover and mutation, then keeps the best of parents and offspring by non-dominated sorting
/// and crowding distance. Domination is constrained (feasible first); proposals are feasible anyway. The result of a
/// search is its Pareto front.
/// </summary>
public sealed class Nsga2 : StrategyBase
{
    private readonly int _population;
    private readonly double _mutation;
    private readonly Nsga2Objectives _objectives;

    /// <summary>Creates the strategy.</summary>
    public Nsga2(SearchSpace space, SearchConstraints? constraints = null, ulong seed = 0, int population = 50, Nsga2Objectives? objectives = null,
        double mutationProbability = 0.1) : base("nsga2", space, constraints, seed)
    {
        _population = population;
        _objectives = objectives ?? new Nsga2Objectives();
        _mutation = mutationProbability;
    }

    /// <summary>The objective vector (to minimize) of a result.</summary>
    public double[] Objectives(Evaluation e)
    {
        var v = new List<double> { -e.Accuracy };
        if (_objectives.Flops) v.Add(e.Flops);
        if (_objectives.Params) v.Add(e.Params);
        if (_objectives.Extra) v.Add(double.IsNaN(e.Extra) ? throw new InvalidOperationException("The evaluator gave no extra objective.") : e.Extra);
        return v.ToArray();
    }

    /// <inheritdoc />
    protected override void Refill()
    {
        if (State.History.Count < _population)
        {
            for (var i = State.History.Count; i < _population; i++) Enqueue(SampleFeasible());
            return; // the first generation counts as offspring from history index 0 (Marker)
        }
        // survivors of parents + offspring (everything evaluated since Marker) become the new parents
        var pool = State.Population.Concat(Enumerable.Range(State.Marker, State.History.Count - State.Marker)).ToList();
        State.Population = Select(pool, _population);
        State.Marker = State.History.Count;
        State.Generation++;
        var (rank, crowd) = RankAndCrowding(State.Population);
        int Tournament()
        {
            var a = State.Population[Rng.Next(State.Population.Count)];
            var b = State.Population[Rng.Next(State.Population.Count)];
            return rank[a] != rank[b] ? (rank[a] < rank[b] ? a : b) : (crowd[a] >= crowd[b] ? a : b);
        }
        for (var i = 0; i < _population; i++)
            Enqueue(Draw(() => Space.Mutate(Space.Crossover(Arch(State.History[Tournament()]), Arch(State.History[Tournament()]), Rng), Rng, _mutation))
                    ?? SampleFeasible());
    }

    private (Dictionary<int, int> Rank, Dictionary<int, double> Crowding) RankAndCrowding(IReadOnlyList<int> members)
    {
        var objs = members.Select(i => Objectives(State.History[i].Result)).ToList();
        var violations = members.Select(i => Constraints.Violation(Space, Arch(State.History[i]))).ToList();
        var rank = new Dictionary<int, int>();
        var crowd = new Dictionary<int, double>();
        var fronts = Pareto.NonDominatedSort(objs, violations);
        for (var f = 0; f < fronts.Count; f++)
        {
            var d = Pareto.CrowdingDistance(objs, fronts[f]);
            for (var j = 0; j < fronts[f].Count; j++)
            {
                rank[members[fronts[f][j]]] = f;
                crowd[members[fronts[f][j]]] = d[j];
            }
        }
        return (rank, crowd);
    }

    private List<int> Select(List<int> pool, int n)
    {
        var (rank, crowd) = RankAndCrowding(pool);
        return pool.OrderBy(i => rank[i]).ThenByDescending(i => crowd[i]).ThenBy(i => i).Take(n).ToList();
    }
}
