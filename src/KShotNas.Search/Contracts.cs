using KShotNas.Spaces;

namespace KShotNas.Search;

/// <summary>What one evaluation of an architecture found: accuracy (higher is better) and costs (lower is better).</summary>
/// <param name="Accuracy">Predicted or measured accuracy.</param>
/// <param name="Flops">Multiply-accumulates of the stand-alone network.</param>
/// <param name="Params">Trainable parameters of the stand-alone network.</param>
/// <param name="Extra">An optional user objective to minimize (e.g. measured latency), NaN when absent.</param>
public sealed record Evaluation(double Accuracy, long Flops, long Params, double Extra = double.NaN);

/// <summary>
/// A search strategy in ML.NET AutoML's tuner shape: <see cref="Propose"/> a candidate, then <see cref="Update"/> it
/// with its result. Every proposal satisfies the hard constraints before it costs an evaluation. The whole state
/// serializes (<see cref="SaveState"/>), so a search resumes exactly where it stopped.
/// </summary>
public interface ISearchStrategy
{
    /// <summary>Short name, e.g. "evolution".</summary>
    string Name { get; }

    /// <summary>The next architecture to evaluate, or null when the strategy has nothing left (exhaustive search).</summary>
    Architecture? Propose();

    /// <summary>Reports the result of a proposed architecture.</summary>
    void Update(Architecture architecture, Evaluation result);

    /// <summary>The complete state as JSON.</summary>
    string SaveState();
}

/// <summary>Evaluates architectures, in batches where it can share work.</summary>
public interface IArchitectureEvaluator
{
    /// <summary>Results for <paramref name="architectures"/>, in order.</summary>
    IReadOnlyList<Evaluation> Evaluate(IReadOnlyList<Architecture> architectures, CancellationToken cancellationToken = default);
}

/// <summary>Hard limits every proposal must satisfy (null: no limit), checked with the space's analytic profile.</summary>
public sealed record SearchConstraints(long? MaxFlops = null, long? MaxParams = null)
{
    /// <summary>No limits.</summary>
    public static SearchConstraints None { get; } = new();

    /// <summary>True when <paramref name="a"/> satisfies every limit.</summary>
    public bool Allows(SearchSpace space, Architecture a)
    {
        if (MaxFlops is null && MaxParams is null) return true;
        var p = space.Profile(a);
        return (MaxFlops is not { } f || p.Flops <= f) && (MaxParams is not { } m || p.Params <= m);
    }

    /// <summary>
    /// Throws <see cref="InfeasibleConstraintsException"/> when a limit is below the smallest network of <paramref name="space"/>
    /// (no candidate could meet it), naming the limit as <paramref name="flopsName"/> / <paramref name="paramsName"/> and
    /// the smallest cost. Analytic, so it runs before any data is read or any supernet trained.
    /// </summary>
    public void CheckFeasible(SearchSpace space, string flopsName = "MaxFlops", string paramsName = "MaxParams")
    {
        if (MaxFlops is null && MaxParams is null) return;
        var (flops, parameters) = ComplexityExtremes.SmallestCost(space);
        var name = SpaceCatalog.Describe(space);
        if (MaxFlops is { } f && f < flops)
            throw new InfeasibleConstraintsException($"{flopsName} {f:N0} is below the smallest network of space {name} ({flops:N0} FLOPs): "
                                                     + $"no candidate can meet it. Give at least {flops:N0}.");
        if (MaxParams is { } m && m < parameters)
            throw new InfeasibleConstraintsException($"{paramsName} {m:N0} is below the smallest network of space {name} ({parameters:N0} parameters): "
                                                     + $"no candidate can meet it. Give at least {parameters:N0}.");
    }

    /// <summary>How far <paramref name="a"/> exceeds the limits, relative to them (0 when feasible): constrained domination's measure.</summary>
    public double Violation(SearchSpace space, Architecture a)
    {
        var p = space.Profile(a);
        double v = 0;
        if (MaxFlops is { } f && p.Flops > f) v += (double)(p.Flops - f) / f;
        if (MaxParams is { } m && p.Params > m) v += (double)(p.Params - m) / m;
        return v;
    }
}

/// <summary>No architecture satisfying the constraints was found.</summary>
public sealed class InfeasibleConstraintsException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public InfeasibleConstraintsException(string message) : base(message) { }
}

/// <summary>JSON settings of search results and strategy states (NaN marks an absent extra objective).</summary>
internal static class SearchJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static readonly System.Text.Json.JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}

/// <summary>
/// Adds a user-supplied objective to minimize (e.g. latency measured on the target device) to another
/// evaluator's results, for NSGA-II's <see cref="Strategies.Nsga2Objectives.Extra"/>.
/// </summary>
public sealed class ExtraObjectiveEvaluator(IArchitectureEvaluator inner, Func<Architecture, double> objective) : IArchitectureEvaluator
{
    /// <inheritdoc />
    public IReadOnlyList<Evaluation> Evaluate(IReadOnlyList<Architecture> architectures, CancellationToken cancellationToken = default) =>
        inner.Evaluate(architectures, cancellationToken).Select((e, i) => e with { Extra = objective(architectures[i]) }).ToArray();
}
