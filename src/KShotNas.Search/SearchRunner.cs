using KShotNas.Search.Strategies;
using KShotNas.Spaces;

namespace KShotNas.Search;

/// <summary>Progress of a search: queries done and the best accuracy so far.</summary>
public sealed record SearchProgress(int Queries, int Budget, double BestAccuracy);

/// <summary>Drives a strategy against an evaluator for a query budget (ask, evaluate, tell).</summary>
public static class SearchRunner
{
    /// <summary>
    /// Runs until <paramref name="budget"/> candidates were evaluated or the strategy has no more; every
    /// evaluated candidate is kept in the result. A strategy restored from a saved state continues its history.
    /// <paramref name="afterEvaluation"/> runs after each evaluated batch (callers save the strategy's state there, so an
    /// interruption loses at most one batch). With a <paramref name="timeLimit"/>, no candidate is proposed once that much
    /// time has passed (at least one is always evaluated), so a time-budgeted run's search ends near its share.
    /// </summary>
    public static SearchResult Run(ISearchStrategy strategy, IArchitectureEvaluator evaluator, SearchSpace space, int budget,
        IProgress<SearchProgress>? progress = null, CancellationToken cancellationToken = default, Action<ISearchStrategy>? afterEvaluation = null,
        TimeSpan? timeLimit = null)
    {
        if (budget < 1) throw new ArgumentOutOfRangeException(nameof(budget), budget, "The budget must be at least one query.");
        var candidates = new List<SearchCandidate>();
        if (strategy is StrategyBase b)
            candidates.AddRange(b.History.Select(h => new SearchCandidate(space.Format(new Architecture(h.Choices)), h.Result)));
        var best = candidates.Count > 0 ? candidates.Max(c => c.Result.Accuracy) : double.NegativeInfinity;
        var restored = candidates.Count;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (candidates.Count < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (candidates.Count > restored && clock.Elapsed >= timeLimit) break;
            var a = strategy.Propose();
            if (a is null) break;
            var result = evaluator.Evaluate([a], cancellationToken)[0];
            strategy.Update(a, result);
            afterEvaluation?.Invoke(strategy);
            candidates.Add(new SearchCandidate(space.Format(a), result));
            best = Math.Max(best, result.Accuracy);
            progress?.Report(new SearchProgress(candidates.Count, budget, best));
        }
        return new SearchResult(space.Name, strategy.Name, candidates);
    }
}

/// <summary>Creates strategies by name.</summary>
public static class StrategyFactory
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["random", "exhaustive", "evolution", "regularized-evolution", "nsga2"];

    /// <summary>A strategy by name with its defaults.</summary>
    public static StrategyBase Create(string name, SearchSpace space, SearchConstraints? constraints, ulong seed, Nsga2Objectives? objectives = null) =>
        name switch
        {
            "random" => new RandomSearch(space, constraints, seed),
            "exhaustive" => new ExhaustiveSearch(space, constraints),
            "evolution" => new EvolutionarySearch(space, constraints, seed),
            "regularized-evolution" => new RegularizedEvolution(space, constraints, seed),
            "nsga2" => new Nsga2(space, constraints, seed, objectives: objectives),
            _ => throw new ArgumentException($"Unknown strategy '{name}' (known: {string.Join(", ", Names)})."),
        };
}
