using KShotNas.Data;
using KShotNas.Deployment;
using KShotNas.Evaluation;
using KShotNas.KShot;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Api;

/// <summary>Options of <see cref="KShotNasEstimator"/>: the whole NAS path in one place.</summary>
public sealed class KShotNasOptions
{
    /// <summary>Space descriptor (see SpaceCatalog); its input shape must match the data.</summary>
    public string Space { get; set; } = "nb201:fashion-small";
    /// <summary>Supernet training: sampling, CaLR, MS, epochs, K-shot settings.</summary>
    public SupernetTrainerOptions Supernet { get; set; } = new() { Calr = true, MomentumSeparation = true, Epochs = 3 };
    /// <summary>K: 1 for one-shot training, more for K-shot NAS.</summary>
    public int K { get; set; } = 4;
    /// <summary>Search strategy name (random, exhaustive, evolution, regularized-evolution, nsga2).</summary>
    public string Strategy { get; set; } = "evolution";
    /// <summary>Candidates evaluated by the search.</summary>
    public int SearchBudget { get; set; } = 200;
    /// <summary>Hard limits of the search.</summary>
    public SearchConstraints Constraints { get; set; } = SearchConstraints.None;
    /// <summary>Validation images used to score each candidate with the supernet.</summary>
    public int ScoringImages { get; set; } = 512;
    /// <summary>Retraining of the found architecture from scratch (cosine SGD).</summary>
    public ClassifierTrainerOptions Retrain { get; set; } = new() { Epochs = 3 };
    /// <summary>libtorch threads.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;
    /// <summary>Seed of initialization, sampling and search.</summary>
    public ulong Seed { get; set; }
    /// <summary>
    /// An architecture (the space's text form) to retrain as it is: no supernet, no search. Null (the default) searches.
    /// Used to retrain a known cell with exactly the recipe a search would have used (e.g. the pick check in docs/study/).
    /// </summary>
    public string? Architecture { get; set; }
    /// <summary>
    /// A wall-time budget for the whole fit (null: none; the stage counts are as set). The pipeline measures its own step
    /// and scoring costs and plans the stages the options mark as planned (docs/time-budget.md).
    /// </summary>
    public TimeBudgetOptions? TimeBudget { get; set; }
    /// <summary>
    /// Once the search is done, retrain the pick on the training and the validation rows together (as AutoML refits its
    /// best pipeline). The validation accuracy is then not measured (NaN): those rows trained the final network.
    /// In-memory data only; streamed data retrains on the training rows.
    /// </summary>
    public bool Refit { get; set; }
}

/// <summary>A stage of <see cref="KShotNasEstimator.Fit"/> and its progress, for IProgress reporting.</summary>
public sealed record NasProgress(string Stage, long Done, long Total, string Detail);

/// <summary>What Fit recorded besides the model: curves and codes for reports.</summary>
public sealed class FitRecord
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
    /// <summary>Whether the pick was retrained on the training and validation rows together.</summary>
    public bool Refitted { get; set; }
    /// <summary>What the time budget planned and measured (null without one).</summary>
    public TimeBudgetPlan? Plan { get; set; }
}

/// <summary>
/// The NAS path as one ML.NET-style estimator: <see cref="Fit"/> trains a (K-shot) supernet with CaLR and MS on
/// the training data, searches under the constraints with the supernet scoring candidates on the validation data,
/// retrains the best architecture from scratch, and returns it as a <see cref="KShotNasModel"/>.
/// </summary>
public sealed class KShotNasEstimator(KShotNasOptions options)
{
    /// <summary>The options.</summary>
    public KShotNasOptions Options { get; } = options;

    /// <summary>Details of the last <see cref="Fit"/> (curves, codes, durations).</summary>
    public FitRecord Record { get; private set; } = new();

    /// <summary>
    /// Runs the whole path; progress by stage; cancellable between steps. <paramref name="spentBefore"/> is the time the
    /// caller already used of a time budget (e.g. reading the data).
    /// </summary>
    public KShotNasModel Fit(IImageBatches train, ImageDataset validation, IProgress<NasProgress>? progress = null,
        CancellationToken cancellationToken = default, TimeSpan spentBefore = default)
    {
        var o = Options;
        Record = new FitRecord();
        var budget = o.TimeBudget is { } tb ? new BudgetClock(tb, spentBefore) : null;
        if (budget is not null) Record.Plan = budget.Plan;
        TorchRuntime.Threads = o.Threads;
        TorchRuntime.ManualSeed(o.Seed);
        var space = SpaceCatalog.Create(o.Space);
        var (c, h, w, classes) = space.InputShape;
        if (!train.ImageShape.SequenceEqual(new long[] { c, h, w }) || train.Classes != classes)
            throw new ArgumentException($"Space {o.Space} takes {c}x{h}x{w} images and {classes} classes; the data has "
                                        + $"{string.Join("x", train.ImageShape)} images and {train.Classes} classes.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (o.Architecture is { } fixedArchitecture)
            return Retrain(space, space.Parse(fixedArchitecture), null, train, validation, progress, budget, cancellationToken);
        using var supernet = SupernetFile.Create(space, o.K);
        if (o.K > 1) supernet.Simplex = new SimplexNet(space, o.K);
        var supernetOptions = o.Supernet.Clone();
        supernetOptions.Seed = o.Seed;
        using var scoring = validation.Subset(Math.Min(o.ScoringImages, validation.Count), (int)(o.Seed % int.MaxValue));
        using var evaluator = new SupernetEvaluator(new SupernetEvaluatorOptions { BatchSize = o.ScoringImages }); // the cost probe
        var searchBudget = o.SearchBudget;
        if (budget is not null)
        {
            var worthwhile = budget.PlanSearchStages(supernet, supernetOptions, train, evaluator, scoring, o.Seed);
            if (budget.Plan.SearchTime is not null) searchBudget = int.MaxValue; // the time limit ends the search
            if (!worthwhile)
            {
                var prior = PriorPick.Choose(space, o.Constraints, o.Seed);
                budget.Plan.PriorPick = space.Format(prior);
                progress?.Report(new NasProgress("plan", 1, 1, budget.Plan.Describe()));
                return Retrain(space, prior, null, train, validation, progress, budget, cancellationToken);
            }
            progress?.Report(new NasProgress("plan", 1, 1, budget.Plan.Describe()));
        }
        var result = new SupernetTrainer(supernetOptions).Fit(supernet, train,
            new SyncProgress<SupernetProgress>(p => progress?.Report(new NasProgress("supernet", p.Step, p.TotalSteps, p.Warning ?? $"loss {p.Loss:F3}"))), cancellationToken);
        Record.SupernetLosses.AddRange(result.StepLosses);
        Record.Durations["supernet"] = clock.Elapsed;

        clock.Restart();
        var scorer = new SupernetScorer(supernet, scoring, options: evaluator.Options);
        var strategy = StrategyFactory.Create(o.Strategy, space, o.Constraints, o.Seed);
        var report = SearchRunner.Run(strategy, scorer, space, searchBudget,
            new SyncProgress<SearchProgress>(p => progress?.Report(new NasProgress("search", p.Queries, ExpectedCandidates(budget?.Plan) ?? p.Budget, $"best {p.BestAccuracy:P1}"))),
            cancellationToken, timeLimit: budget?.Plan.SearchTime);
        if (supernet.Simplex is { } simplex)
            Record.Codes = new CodeReport(simplex, report.Candidates.Select(x => space.Parse(x.Arch)).ToList());
        Record.Durations["search"] = clock.Elapsed;

        return Retrain(space, space.Parse(report.Best.Arch), report, train, validation, progress, budget, cancellationToken);
    }

    // A timed search's progress total: the candidates its time allows at the measured scoring cost.
    private static int? ExpectedCandidates(TimeBudgetPlan? plan) =>
        plan?.SearchTime is { } t ? (int)Math.Max(1, t.TotalSeconds / plan.ScoringSeconds) : null;

    private KShotNasModel Retrain(SearchSpace space, Architecture architecture, SearchResult? report, IImageBatches train, ImageDataset validation,
        IProgress<NasProgress>? progress, BudgetClock? budget, CancellationToken cancellationToken)
    {
        var o = Options;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TorchRuntime.ManualSeed(o.Seed + 1);
        var network = new StandaloneNetwork(space, architecture);
        // Refit: the pick trains on every row it was given; the validation rows then measure nothing.
        using var all = o.Refit && train is ImageDataset inMemory ? ImageDataset.Concat(inMemory, validation) : null;
        Record.Refitted = all is not null;
        var retrainOptions = o.Retrain;
        try
        {
            if (budget is not null) retrainOptions = budget.PlanRetraining(o.Retrain, space, architecture, all ?? train);
            var outcome = new ClassifierTrainer(retrainOptions).Fit(network, all ?? train, all is null ? validation : null,
                new SyncProgress<TrainingProgress>(p =>
            {
                Record.Retraining.Add(p);
                progress?.Report(new NasProgress("retrain", p.Step, p.TotalSteps, $"loss {p.Loss:F3}"));
            }), cancellationToken);
            Record.ValidationAccuracy = outcome.TestAccuracy;
            if (Record.Plan is { RetrainTime: not null } plan) plan.RetrainStepsDone = outcome.Steps;
        }
        catch
        {
            network.Dispose();
            throw;
        }
        Record.Durations["retrain"] = clock.Elapsed;
        return new KShotNasModel(network, report);
    }
}
