using System.Diagnostics;
using static System.FormattableString;
using KShotNas.Data;
using KShotNas.Evaluation;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;
using KShotNas.Training;

namespace KShotNas.Api;

/// <summary>
/// The shares of a time budget that supernet training, search and retraining get (of the time left once the data is
/// read and the costs are measured). Retraining is planned last from the time actually left, so it absorbs what the
/// earlier stages over- or under-ran. The default split is the one measured best in docs/time-budget.md.
/// </summary>
/// <param name="Supernet">Share of supernet training.</param>
/// <param name="Search">Share of the search (scoring candidates with the shared weights).</param>
/// <param name="Retrain">Share of retraining the pick (the rest: what the other two leave).</param>
public sealed record TimeBudgetShares(double Supernet, double Search, double Retrain)
{
    /// <summary>The measured default (docs/time-budget.md).</summary>
    public static TimeBudgetShares Default { get; } = new(0.30, 0.15, 0.55);

    /// <summary>Throws when a share is negative or not finite, or they do not add up to 1.</summary>
    public void Validate()
    {
        foreach (var (name, v) in new[] { ("Supernet", Supernet), ("Search", Search), ("Retrain", Retrain) })
            if (!double.IsFinite(v) || v < 0) throw new ArgumentOutOfRangeException(name, v, $"The {name} share must be finite and not negative.");
        if (Math.Abs(Supernet + Search + Retrain - 1) > 1e-6)
            throw new ArgumentOutOfRangeException(nameof(Retrain), Supernet + Search + Retrain, "The shares must add up to 1.");
    }
}

/// <summary>A time budget for a whole fit and which stage counts it plans (a stage whose count the user set keeps it).</summary>
public sealed class TimeBudgetOptions
{
    /// <summary>Wall time for the whole fit, data reading and model export included.</summary>
    public TimeSpan Budget { get; set; }
    /// <summary>How the time is split between the stages.</summary>
    public TimeBudgetShares Shares { get; set; } = TimeBudgetShares.Default;
    /// <summary>Plan supernet training steps from the budget (false: the supernet options' epochs or steps).</summary>
    public bool PlanSupernet { get; set; } = true;
    /// <summary>Plan how long the search runs (false: the search budget in candidates, untimed).</summary>
    public bool PlanSearch { get; set; } = true;
    /// <summary>Plan retraining steps from the time left (false: the retraining options' epochs or steps).</summary>
    public bool PlanRetrain { get; set; } = true;
    /// <summary>
    /// Search under the budget: the fewest planned supernet steps with which the fit searches; below them it retrains
    /// the prior pick for the whole budget (0: always search). Null (the default): no search, the prior pick retrains
    /// for the whole budget, with no probing, unless the supernet's epochs are set. Measured (docs/time-budget.md,
    /// "Search or prior pick"): every time-budgeted search so far, with supernets of 300 to 7,440 steps, picked a cell
    /// that retrained to 0.2-2.3 points less than the prior pick in the same budget.
    /// </summary>
    public long? MinimumSupernetSteps { get; set; }

    /// <summary>
    /// The share of <see cref="MinimumSupernetSteps"/> under which the cost probe alone skips the supernet (0.5); nearer
    /// the minimum the supernet trainer decides from its own first steps. Tests set 0 to reach that decision for sure.
    /// </summary>
    internal double ProbeSkipShare { get; init; } = 0.5;
}

/// <summary>What a time-budgeted fit measured, planned and spent; shown in the log, the run report and LastResult.</summary>
public sealed class TimeBudgetPlan
{
    /// <summary>
    /// The fewest supernet steps this fit would search with (<see cref="TimeBudgetOptions.MinimumSupernetSteps"/>; null:
    /// it does not search under the budget).
    /// </summary>
    public long? MinimumSupernetSteps { get; init; }

    /// <summary>The whole budget.</summary>
    public TimeSpan Budget { get; init; }
    /// <summary>Time spent before planning (reading the data, building the supernet, measuring costs).</summary>
    public TimeSpan SpentBeforePlanning { get; set; }
    /// <summary>Time kept for the export and the ML.NET chain after retraining.</summary>
    public TimeSpan Reserve { get; init; }
    /// <summary>Measured seconds of one supernet training step (all its paths).</summary>
    public double SupernetStepSeconds { get; set; } = double.NaN;
    /// <summary>Measured seconds to score one candidate.</summary>
    public double ScoringSeconds { get; set; } = double.NaN;
    /// <summary>Measured seconds of one retraining step of the pick.</summary>
    public double RetrainStepSeconds { get; set; } = double.NaN;
    /// <summary>Planned supernet training time (null: not planned).</summary>
    public TimeSpan? SupernetTime { get; set; }
    /// <summary>Supernet steps expected in that time at the measured cost (the schedules' scale).</summary>
    public long? SupernetSteps { get; set; }
    /// <summary>Planned search time (null: not planned).</summary>
    public TimeSpan? SearchTime { get; set; }
    /// <summary>Planned retraining time (null: not planned).</summary>
    public TimeSpan? RetrainTime { get; set; }
    /// <summary>Retraining steps expected in that time at the measured cost (the schedule's scale).</summary>
    public long? RetrainSteps { get; set; }
    /// <summary>Retraining steps actually done.</summary>
    public long? RetrainStepsDone { get; set; }
    /// <summary>
    /// Set when the budget left too little supernet training to rank anything (fewer than
    /// <see cref="MinimumSupernetSteps"/> steps, judged by the probe when far short, else by the supernet's first real
    /// steps): the supernet and the search were skipped or stopped and the prior pick (<see cref="Search.PriorPick"/>)
    /// retrained for the rest of the budget.
    /// </summary>
    public string? PriorPick { get; set; }
    /// <summary>Steps the supernet's time was projected to hold from its first real steps (null: not projected).</summary>
    public long? ProjectedSupernetSteps { get; set; }
    /// <summary>Supernet steps done before training stopped on that projection (null: it did not stop).</summary>
    public long? SupernetStepsDone { get; set; }
    /// <summary>Time at which the fit ended (set by the caller once the model is exported).</summary>
    public TimeSpan? Total { get; set; }

    /// <summary>The plan in one line.</summary>
    public string Describe()
    {
        var supernet = SupernetTime is { } s ? Invariant($"{s.TotalSeconds:F0} s (~{SupernetSteps} steps at {SupernetStepSeconds * 1000:F0} ms)") : "as set";
        var search = SearchTime is { } q ? Invariant($"{q.TotalSeconds:F0} s at {ScoringSeconds:F2} s per candidate") : "as set";
        var retrain = RetrainTime is { } r
            ? Invariant($"{r.TotalSeconds:F0} s (~{RetrainSteps} steps at {RetrainStepSeconds * 1000:F0} ms{(RetrainStepsDone is { } d ? $", {d} done" : "")})")
            : "as set";
        if (PriorPick is not null)
            (supernet, search) = (SupernetStepsDone is { } done
                ? Invariant($"stopped after {done} steps (~{ProjectedSupernetSteps} would fit at their rate, fewer than {MinimumSupernetSteps})")
                : MinimumSupernetSteps is null
                    ? "skipped (no search under a time budget unless MinimumSupernetSteps is set)"
                    : Invariant($"skipped (~{SupernetSteps} steps would fit, fewer than {MinimumSupernetSteps})"), $"skipped, prior pick {PriorPick}");
        return Invariant($"budget {Budget.TotalSeconds:F0} s: {SpentBeforePlanning.TotalSeconds:F1} s before planning; supernet {supernet}, ")
               + Invariant($"search {search}, retraining {retrain}; reserve {Reserve.TotalSeconds:F1} s");
    }
}

/// <summary>Measures the stage costs a time budget is planned from: a few timed steps on the real data and networks.</summary>
internal static class CostProbe
{
    /// <summary>Timed supernet steps or retraining passes of a probe; the median is kept.</summary>
    public const int TimedPasses = 5;

    /// <summary>The supernet probe's factor for the trainer's own work beyond forward and backward.</summary>
    public const double SupernetStepAllowance = 1.05;

    /// <summary>
    /// Seconds of one supernet step: forward and backward of every path <paramref name="sampler"/> gives a step
    /// (gradients cleared after), the median of <see cref="TimedPasses"/> steps times <see cref="SupernetStepAllowance"/>.
    /// Every operation runs once before the timing (strictly fair paths cover them all), so no timed step pays an
    /// operation's one-time set-up. Whole steps are timed because single random paths differ in cost several times over
    /// (all convolutions against all skips): the first version timed 3 random paths and scaled them by the paths a step
    /// trains, and measured 84 to 690 ms for FairNAS steps that train at about 190 ms.
    /// </summary>
    public static double SupernetStepSeconds(Supernet supernet, IImageBatches train, int batchSize, PathSampler sampler, Random rng)
    {
        CollectGarbage();
        var warm = new PathSampler(supernet.Space, PathSampling.FairNas).Next(rng);
        var steps = Enumerable.Range(0, TimedPasses).Select(_ => sampler.Next(rng)).ToList();
        // Pass list: the warm-up paths (group -1), then each timed step's paths (group = the step).
        var passes = warm.Select(a => (Group: -1, Path: a)).Concat(steps.SelectMany((paths, g) => paths.Select(a => (Group: g, Path: a)))).ToList();
        var seconds = new double[TimedPasses];
        ForwardBackward(supernet, train, batchSize, passes.Count, (i, x) =>
        {
            var clock = Stopwatch.StartNew();
            var loss = supernet.Forward(x, passes[i].Path);
            return (loss, () => { if (passes[i].Group >= 0) seconds[passes[i].Group] += clock.Elapsed.TotalSeconds; });
        });
        // An allowance for what a trainer's step adds (clipping, the update, momentum separation). It was measured 1.2-1.37x
        // when the probe was written; with today's kernels the trainer ran at 0.96-1.11x the unscaled probe (benchmarks/run.sh
        // probe, two runs, 2026-12-05), and 1.3 had the main job plan 199 ms a step where 145 ms ran.
        return Median(seconds) * SupernetStepAllowance;
    }

    /// <summary>
    /// Seconds of one training step of <paramref name="network"/> (forward, backward; no update): the lower quartile of
    /// <see cref="TimedRetrainPasses"/> passes after two untimed, once the garbage of reading the rows is collected. The
    /// median of 5 after one had planned the main job's retraining at 45 ms a step where it ran at 28 ms, and at 98 ms
    /// where it ran at 39 ms beside another run (2026-12-05): work elsewhere in the process or on the machine (a
    /// collection, a compilation) only slows passes, so the faster ones are the network's cost.
    /// </summary>
    public static double StepSeconds(Module network, IImageBatches train, int batchSize)
    {
        CollectGarbage();
        const int untimed = 2;
        var seconds = new double[TimedRetrainPasses];
        ForwardBackward(network, train, batchSize, TimedRetrainPasses + untimed, (i, x) =>
        {
            var clock = Stopwatch.StartNew();
            var logits = network.Forward(x);
            return (logits, () => { if (i >= untimed) seconds[i - untimed] = clock.Elapsed.TotalSeconds; });
        });
        Array.Sort(seconds);
        // An allowance for the optimizer update and the data order, which the probe leaves out (not measured).
        return seconds[seconds.Length / 4] * 1.15;
    }

    /// <summary>How many retraining passes <see cref="StepSeconds"/> times.</summary>
    public const int TimedRetrainPasses = 12;

    // The rows just read (or the search just run) left garbage; a collection during the timed passes would slow them.
    private static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    /// <summary>
    /// Seconds to score one candidate the search could propose: the median of <see cref="TimedScorings"/> scorings of
    /// candidates within <paramref name="constraints"/>, after one that warms the allocator. Candidates differ several-fold
    /// in cost, and the search scores only those within the limits, which are the cheaper ones: one unconstrained
    /// sample overestimated the main job's scoring 2x (0.56 s planned, 0.28 s run).
    /// </summary>
    public static double ScoringSeconds(SupernetEvaluator evaluator, Supernet supernet, ImageDataset scoring, Random rng,
        SearchConstraints constraints)
    {
        evaluator.Score(supernet, [ProbeCandidate(supernet.Space, rng, constraints)], scoring);
        var seconds = new List<double>();
        for (var i = 0; i < TimedScorings; i++)
        {
            var a = ProbeCandidate(supernet.Space, rng, constraints);
            var clock = Stopwatch.StartNew();
            evaluator.Score(supernet, [a], scoring);
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        return Median(seconds);
    }

    /// <summary>How many scorings <see cref="ScoringSeconds"/> times.</summary>
    public const int TimedScorings = 3;

    // A random candidate within the limits, by rejection as random search proposes them (the limits were checked
    // feasible before); after 1,000 misses any candidate, as the probe only needs a typical cost.
    internal static Architecture ProbeCandidate(SearchSpace space, Random rng, SearchConstraints constraints)
    {
        for (var tries = 0; tries < 1000; tries++)
            if (space.Sample(rng) is var a && constraints.Allows(space, a)) return a;
        return space.Sample(rng);
    }

    /// <summary>The median of <paramref name="seconds"/> (the mean of the middle two for an even count): one pass slowed by
    /// another process or a page-fault burst does not move it.</summary>
    public static double Median(IReadOnlyList<double> seconds)
    {
        if (seconds.Count == 0) throw new ArgumentException("No timed passes.", nameof(seconds));
        return Ranking.Metrics.Median(seconds);
    }

    // Runs `passes` forward and backward passes of `model` on the first batches of the data: pass i's forward gives the
    // logits and an action called once its backward is done (where the caller stops its clock). The gradients are cleared
    // after, so the probe leaves the weights' training untouched.
    private static void ForwardBackward(Module model, IImageBatches train, int batchSize, int passes, Func<int, Tensor, (Tensor Logits, Action Done)> forward)
    {
        var pass = 0;
        while (pass < passes)
        {
            foreach (var (x, y) in train.Batches(batchSize, shuffleSeed: 12345, dropLast: train.Count >= batchSize))
            {
                using (x)
                using (y)
                using (TensorScope.Begin())
                {
                    var (logits, done) = forward(pass, x);
                    Functional.CrossEntropy(logits, y).Backward();
                    done();
                }
                if (++pass >= passes) break;
            }
        }
        Gradients.ZeroGrad(new ParameterList(model.Parameters()));
    }
}

/// <summary>A running time budget: what is spent, what is left, and the plan it makes from measured costs.</summary>
internal sealed class BudgetClock
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _spentBefore;
    private readonly TimeBudgetOptions _options;

    public BudgetClock(TimeBudgetOptions options, TimeSpan spentBefore)
    {
        if (options.Budget <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), options.Budget, "The time budget must be positive.");
        options.Shares.Validate();
        if (options.MinimumSupernetSteps is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MinimumSupernetSteps, "MinimumSupernetSteps must not be negative.");
        _options = options;
        _spentBefore = spentBefore;
        // The export and the ML.NET chain after retraining take about a second on the small spaces.
        Plan = new TimeBudgetPlan { Budget = options.Budget, MinimumSupernetSteps = options.MinimumSupernetSteps, Reserve = TimeSpan.FromSeconds(1.5 + 0.03 * options.Budget.TotalSeconds) };
    }

    public TimeBudgetPlan Plan { get; }

    /// <summary>Time used since the fit began.</summary>
    public TimeSpan Elapsed => _spentBefore + _clock.Elapsed;

    /// <summary>Time left for the stages (the reserve kept back), never negative.</summary>
    public TimeSpan Left => TimeSpan.FromTicks(Math.Max(0, (Plan.Budget - Elapsed - Plan.Reserve).Ticks));

    /// <summary>
    /// True when the options ask for no search under this budget (no <see cref="TimeBudgetOptions.MinimumSupernetSteps"/>
    /// and no supernet epochs set): the prior pick gets every second and none goes to probing a supernet, so the caller
    /// builds no supernet, scoring subset or evaluator. Records the time spent before planning.
    /// </summary>
    public bool SearchNotAskedFor()
    {
        if (!_options.PlanSupernet || _options.MinimumSupernetSteps is not null) return false;
        Plan.SpentBeforePlanning = Elapsed;
        return true;
    }

    /// <summary>
    /// Measures a supernet step and the scoring of candidates within <paramref name="constraints"/>, then plans supernet
    /// training (written into <paramref name="supernetOptions"/>) and the search time. False when the probe finds the
    /// supernet's time far short of the minimum steps (under half): skip it and the search. Nearer the minimum the
    /// supernet trainer stops itself (MinimumProjectedSteps).
    /// </summary>
    public bool PlanSearchStages(Supernet supernet, SupernetTrainerOptions supernetOptions, IImageBatches train, SupernetEvaluator evaluator,
        ImageDataset scoring, SearchConstraints constraints, ulong seed)
    {
        if (SearchNotAskedFor()) return false;
        var minimum = _options.MinimumSupernetSteps ?? 0;
        var rng = new Random(unchecked((int)seed) ^ 0x5eed);
        var sampler = new PathSampler(supernet.Space, supernetOptions.Sampling, supernetOptions.SandwichRandomPaths, supernetOptions.FixedDecisions);
        if (_options.PlanSupernet)
        {
            Plan.SupernetStepSeconds = CostProbe.SupernetStepSeconds(supernet, train, supernetOptions.BatchSize, sampler, rng);
            Plan.SupernetSteps = (long)(Left.TotalSeconds * _options.Shares.Supernet / Plan.SupernetStepSeconds);
            // The probe alone skips the supernet only when it is far short: a few seconds of probing can land in a burst
            // of other load (the first probe misjudged real steps 0.4-3.6x; docs/time-budget.md). Near the minimum the
            // trainer decides from its own first steps (MinimumProjectedSteps). A measurement that would skip is taken
            // twice, the faster counts.
            if (Plan.SupernetSteps < minimum * _options.ProbeSkipShare)
            {
                Plan.SupernetStepSeconds = Math.Min(Plan.SupernetStepSeconds, CostProbe.SupernetStepSeconds(supernet, train, supernetOptions.BatchSize, sampler, rng));
                Plan.SupernetSteps = (long)(Left.TotalSeconds * _options.Shares.Supernet / Plan.SupernetStepSeconds);
            }
            if (Plan.SupernetSteps < minimum * _options.ProbeSkipShare)
            {
                // Too short for a supernet: no scoring probe either, every second goes to retraining.
                Plan.SpentBeforePlanning = Elapsed;
                return false;
            }
        }
        if (_options.PlanSearch) Plan.ScoringSeconds = CostProbe.ScoringSeconds(evaluator, supernet, scoring, rng, constraints);
        Plan.SpentBeforePlanning = Elapsed;
        // The retraining share is not fixed here: retraining takes whatever the first two stages leave.
        var left = Left.TotalSeconds;
        if (_options.PlanSupernet)
        {
            // Driven by time: the machine's speed may change under other load; the measured cost only scales the schedules.
            Plan.SupernetTime = TimeSpan.FromSeconds(left * _options.Shares.Supernet);
            Plan.SupernetSteps = Math.Max(2, (long)(Plan.SupernetTime.Value.TotalSeconds / Plan.SupernetStepSeconds));
            supernetOptions.Steps = Plan.SupernetSteps;
            supernetOptions.TimeLimit = Plan.SupernetTime;
            supernetOptions.MinimumProjectedSteps = minimum > 0 ? minimum : null;
        }
        if (_options.PlanSearch) Plan.SearchTime = TimeSpan.FromSeconds(Math.Max(left * _options.Shares.Search, Plan.ScoringSeconds));
        return true;
    }

    /// <summary>
    /// The supernet stopped early because its first steps projected fewer than the minimum: records it, and the prior
    /// pick retrains in the time left.
    /// </summary>
    public void SupernetAbandoned(long projectedSteps, long stepsDone)
    {
        Plan.ProjectedSupernetSteps = projectedSteps;
        Plan.SupernetStepsDone = stepsDone;
    }

    /// <summary>The retraining options that fill the time left (the step cost measured on a probe copy of the pick scales the schedule).</summary>
    public ClassifierTrainerOptions PlanRetraining(ClassifierTrainerOptions options, SearchSpace space, Architecture architecture, IImageBatches data)
    {
        if (!_options.PlanRetrain) return options;
        // The real network is seeded after this probe (CellRetraining), so the probe does not change its initialization.
        using (var probe = new Deployment.StandaloneNetwork(space, architecture))
            Plan.RetrainStepSeconds = CostProbe.StepSeconds(probe, data, options.BatchSize);
        Plan.RetrainTime = Left;
        Plan.RetrainSteps = Math.Max(2, (long)(Plan.RetrainTime.Value.TotalSeconds / Plan.RetrainStepSeconds));
        var planned = options.Clone();
        planned.Steps = Plan.RetrainSteps;
        planned.TimeLimit = Plan.RetrainTime;
        return planned;
    }
}
