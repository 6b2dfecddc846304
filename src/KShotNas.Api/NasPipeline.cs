using KShotNas.Data;
using KShotNas.Evaluation;
using KShotNas.KShot;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Api;

/// <summary>A stage of <see cref="NasPipeline.Fit"/> and its progress, for IProgress reporting.</summary>
public sealed record NasProgress(string Stage, long Done, long Total, string Detail);

/// <summary>What <see cref="NasPipeline.Fit"/> recorded besides the model: curves, codes, durations and the time budget's plan, for reports.</summary>
public sealed class PipelineRecord
{
    /// <summary>Supernet training loss per step.</summary>
    public List<double> SupernetLosses { get; } = new();
    /// <summary>Retraining progress reports (loss, accuracy by step).</summary>
    public List<TrainingProgress> Retraining { get; } = new();
    /// <summary>The codes of the search's candidates (K-shot only).</summary>
    public CodeReport? Codes { get; set; }
    /// <summary>Wall time per stage.</summary>
    public Dictionary<string, TimeSpan> Durations { get; } = new();
    /// <summary>The retrained network's accuracy on the validation data (NaN after a refit, which trains on them).</summary>
    public double ValidationAccuracy { get; set; } = double.NaN;
    /// <summary>The augmentation the retraining used (the recipe's, or the automatic rule's choice).</summary>
    public Augmentation RetrainAugmentation { get; set; }
    /// <summary>Whether the pick was retrained on the training and validation rows together.</summary>
    public bool Refitted { get; set; }
    /// <summary>What the time budget planned and measured (null without one).</summary>
    public TimeBudgetPlan? Plan { get; set; }
}

/// <summary>
/// Runs a <see cref="NasRecipe"/> on image data: trains the recipe's supernet (its method builds and trains it, CaLR and MS
/// as set), searches under the hard limits with the supernet scoring candidates on the validation data, retrains the pick
/// from scratch (<see cref="CellRetraining"/>) and returns it as a <see cref="KShotNasModel"/>; under a time budget it
/// plans the stages from measured costs. Shared by the ML.NET trainer and `kshotnas run`.
/// </summary>
public sealed class NasPipeline
{
    /// <summary>Creates the pipeline; the recipe is validated now.</summary>
    public NasPipeline(NasRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        recipe.Validate();
        Recipe = recipe;
    }

    /// <summary>The recipe.</summary>
    public NasRecipe Recipe { get; }

    /// <summary>Details of the last <see cref="Fit"/> (curves, codes, durations, plan).</summary>
    public PipelineRecord Record { get; private set; } = new();

    /// <summary>
    /// Runs the whole path; progress by stage; cancellable between steps. <paramref name="spentBefore"/> is the time the
    /// caller already used of a time budget (e.g. reading the data).
    /// </summary>
    public KShotNasModel Fit(IImageBatches train, ImageDataset validation, IProgress<NasProgress>? progress = null,
        CancellationToken cancellationToken = default, TimeSpan spentBefore = default)
    {
        var o = Recipe;
        Record = new PipelineRecord();
        var budget = o.BudgetOptions() is { } tb ? new BudgetClock(tb, spentBefore) : null;
        if (budget is not null) Record.Plan = budget.Plan;
        TorchRuntime.Threads = o.Threads;
        // Training with the caching allocator: FairNAS steps ran 1.2x faster than with glibc's, which page-faults each
        // step's activations anew (benchmarks/run.sh probe). Scoring turns it on anyway; it holds at most 1 GiB.
        TorchRuntime.ConfigureCpuCache(true);
        TorchRuntime.ManualSeed((ulong)o.Seed);
        var space = o.SpaceFor(train.ImageShape, train.Classes, "the training data");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (o.Architecture is { } fixedArchitecture)
            return Retrain(space, space.Parse(fixedArchitecture), null, train, validation, progress, budget, cancellationToken);
        if (budget is not null && budget.SearchNotAskedFor())
            return RetrainPriorPick(space, budget, train, validation, progress, cancellationToken);
        using var supernet = o.Method.Build(space);
        var supernetOptions = o.SupernetOptions();
        using var scoring = validation.Subset(Math.Min(o.ScoringImages, validation.Count), o.Seed);
        using var evaluator = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = o.ScoringImages }); // the cost probe
        var searchBudget = o.SearchBudget ?? NasRecipe.DefaultSearchBudget;
        if (budget is not null)
        {
            if (!budget.PlanSearchStages(supernet, supernetOptions, train, evaluator, scoring, o.Constraints, (ulong)o.Seed))
                return RetrainPriorPick(space, budget, train, validation, progress, cancellationToken);
            if (budget.Plan.SearchTime is not null) searchBudget = int.MaxValue; // the time limit ends the search
            progress?.Report(new NasProgress("plan", 1, 1, budget.Plan.Describe()));
        }
        var result = o.Method.Train(supernet, train, supernetOptions,
            new SyncProgress<SupernetProgress>(p => progress?.Report(new NasProgress("supernet", p.Step, p.TotalSteps, p.Warning ?? $"loss {p.Loss:F3}"))), cancellationToken);
        Record.SupernetLosses.AddRange(result.StepLosses);
        Record.Durations["supernet"] = clock.Elapsed;
        if (result.Abandoned && budget is not null)
        {
            budget.SupernetAbandoned(result.ProjectedSteps ?? 0, result.Steps);
            return RetrainPriorPick(space, budget, train, validation, progress, cancellationToken);
        }

        clock.Restart();
        var scorer = new SupernetScorer(supernet, scoring, options: evaluator.Options);
        var strategy = StrategyFactory.Create(o.SearchStrategy, space, o.Constraints, (ulong)o.Seed);
        var report = SearchRunner.Run(strategy, scorer, space, searchBudget,
            new SyncProgress<SearchProgress>(p => progress?.Report(new NasProgress("search", p.Queries,
                TimedProgress.Total(p.Queries, 0, ExpectedCandidates(budget?.Plan) ?? p.Budget, budget?.Plan.SearchTime, clock.Elapsed),
                $"best {p.BestAccuracy:P1}"))),
            cancellationToken, timeLimit: budget?.Plan.SearchTime);
        if (supernet.Simplex is { } simplex)
            Record.Codes = new CodeReport(simplex, report.Candidates.Select(x => space.Parse(x.Arch)).ToList());
        Record.Durations["search"] = clock.Elapsed;

        return Retrain(space, space.Parse(report.Best.Arch), report, train, validation, progress, budget, cancellationToken);
    }

    // Under a time budget without a search: the prior pick (PriorPick) gets the retraining.
    private KShotNasModel RetrainPriorPick(SearchSpace space, BudgetClock budget, IImageBatches train, ImageDataset validation,
        IProgress<NasProgress>? progress, CancellationToken cancellationToken)
    {
        var prior = PriorPick.Choose(space, Recipe.Constraints, (ulong)Recipe.Seed);
        budget.Plan.PriorPick = space.Format(prior);
        progress?.Report(new NasProgress("plan", 1, 1, budget.Plan.Describe()));
        return Retrain(space, prior, null, train, validation, progress, budget, cancellationToken);
    }

    // A timed search's planned candidates at the measured scoring cost (its progress total until it has a rate of its own).
    private static int? ExpectedCandidates(TimeBudgetPlan? plan) =>
        plan?.SearchTime is { } t ? (int)Math.Max(1, t.TotalSeconds / plan.ScoringSeconds) : null;

    private KShotNasModel Retrain(SearchSpace space, Architecture architecture, SearchResult? report, IImageBatches train, ImageDataset validation,
        IProgress<NasProgress>? progress, BudgetClock? budget, CancellationToken cancellationToken)
    {
        var o = Recipe;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Refit: the pick trains on every row it was given; the validation rows then measure nothing.
        using var all = o.Refit && train is ImageDataset inMemory ? ImageDataset.Concat(inMemory, validation) : null;
        Record.Refitted = all is not null;
        var data = all ?? train;
        var retrainOptions = o.RetrainOptions();
        if (budget is not null) retrainOptions = budget.PlanRetraining(retrainOptions, space, architecture, data);
        retrainOptions.Augmentation = Record.RetrainAugmentation = o.AugmentationFor(retrainOptions.TotalSteps(data), retrainOptions.BatchSize, data.Count);
        var (network, outcome) = CellRetraining.Retrain(space, architecture, data, all is null ? validation : null, retrainOptions,
            new SyncProgress<TrainingProgress>(p =>
            {
                Record.Retraining.Add(p);
                progress?.Report(new NasProgress("retrain", p.Step, p.TotalSteps, $"loss {p.Loss:F3}"));
            }), cancellationToken);
        Record.ValidationAccuracy = outcome.TestAccuracy;
        if (Record.Plan is { RetrainTime: not null } plan) plan.RetrainStepsDone = outcome.Steps;
        Record.Durations["retrain"] = clock.Elapsed;
        return new KShotNasModel(network, report);
    }
}
