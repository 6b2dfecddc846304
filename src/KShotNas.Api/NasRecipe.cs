using System.Text.Json.Serialization;
using KShotNas.Methods;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Training;

namespace KShotNas.Api;

/// <summary>
/// Everything a NAS run does, in one place with one set of defaults: what is searched (space, hard limits), the supernet
/// method and its schedule, the search, the retraining of the pick, the time budget and the runtime. The ML.NET trainer
/// holds one (<c>KShotNasTrainer.Options.Recipe</c>), `kshotnas run` fills one from its switches over the
/// <see cref="MainJob"/> preset, and <see cref="NasPipeline"/> runs it. The defaults are the best measured ones
/// (docs/recipe.md); the counts left null are planned by <see cref="TimeBudget"/>, or take the Default* constants
/// without one. Serializable to JSON (run.json keeps the recipe of a run so that `study pick-check` retrains alike).
/// </summary>
public sealed class NasRecipe
{
    /// <summary>Supernet epochs without a time budget or an explicit count.</summary>
    public const int DefaultSupernetEpochs = 5;
    /// <summary>Candidates scored without a time budget or an explicit count.</summary>
    public const int DefaultSearchBudget = 200;
    /// <summary>Retraining epochs without a time budget or an explicit count (and at least <see cref="DefaultMinimumRetrainSteps"/> steps).</summary>
    public const int DefaultRetrainEpochs = 5;
    /// <summary>The fewest retraining steps when neither epochs, steps nor a time budget set them, so small data is not starved.</summary>
    public const long DefaultMinimumRetrainSteps = 1500;

    // ---- what is searched ----

    /// <summary>
    /// The search space (null: NAS-Bench-201's small skeleton, C = 8 and one cell per stage, for the data's channels, image
    /// size and classes; see <see cref="SpaceFit.DefaultFor"/>). Create one with <see cref="SpaceCatalog.Create"/>.
    /// </summary>
    [JsonConverter(typeof(SpaceJsonConverter))]
    public SearchSpace? Space { get; set; }

    /// <summary>Hard limit on the found network's multiply-accumulates (null: none).</summary>
    public long? MaxFlops { get; set; }

    /// <summary>Hard limit on the found network's parameters (null: none).</summary>
    public long? MaxParameters { get; set; }

    /// <summary>
    /// An architecture in the space's text form to retrain as it is, skipping the supernet and the search (null: search).
    /// Everything else runs as after a search, so a known cell compares with a pick under the same recipe.
    /// </summary>
    public string? Architecture { get; set; }

    // ---- the supernet ----

    /// <summary>
    /// The supernet method: <see cref="FairNasMethod"/> (default: with CaLR and MS it ranked best in the study, docs/study/),
    /// <see cref="SposMethod"/>, <see cref="SandwichMethod"/>, <see cref="FewShotMethod"/> or <see cref="KShotMethod"/>.
    /// </summary>
    [JsonConverter(typeof(MethodJsonConverter))]
    public SupernetMethod Method { get; set; } = new FairNasMethod();

    /// <summary>The complexity-aware learning-rate schedule (CaLR) for supernet training.</summary>
    public bool Calr { get; set; } = true;

    /// <summary>Momentum separation (MS): one momentum buffer set per complexity cluster (not with the sandwich rule).</summary>
    public bool MomentumSeparation { get; set; } = true;

    /// <summary>Supernet training epochs (null: planned from <see cref="TimeBudget"/>, else <see cref="DefaultSupernetEpochs"/>).</summary>
    public int? SupernetEpochs { get; set; }

    /// <summary>Peak learning rate of supernet training (SGD, cosine or CaLR).</summary>
    public double SupernetLearningRate { get; set; } = 0.025;

    /// <summary>Mini-batch size of supernet training and retraining.</summary>
    public int BatchSize { get; set; } = 64;

    // ---- the search ----

    /// <summary>Search strategy: random, exhaustive, evolution, regularized-evolution or nsga2.</summary>
    public string SearchStrategy { get; set; } = "evolution";

    /// <summary>Candidates the search scores (null: as many as the time budget's search share allows, else <see cref="DefaultSearchBudget"/>).</summary>
    public int? SearchBudget { get; set; }

    /// <summary>Validation images each candidate is scored on (batch statistics of this many images).</summary>
    public int ScoringImages { get; set; } = 2048;

    // ---- retraining the pick ----

    /// <summary>Retraining recipe of the found network from scratch.</summary>
    public TrainingRecipe RetrainRecipe { get; set; } = TrainingRecipe.CosineSgd;

    /// <summary>Retraining epochs (null: planned from <see cref="TimeBudget"/>, else <see cref="DefaultRetrainEpochs"/> and at least <see cref="DefaultMinimumRetrainSteps"/> steps).</summary>
    public int? RetrainEpochs { get; set; }

    /// <summary>Retraining steps (mini-batches) instead of epochs; wins over <see cref="RetrainEpochs"/> and the time budget's plan.</summary>
    public long? RetrainSteps { get; set; }

    /// <summary>
    /// Random changes to the retraining's batches: <see cref="Augmentation.ShiftAndFlip"/> (a shift of up to 2 pixels and
    /// mirroring half of them), <see cref="Augmentation.Shift"/> when a mirrored image is another class (digits, letters),
    /// <see cref="Augmentation.None"/> for the images as they are. Null (the default): shift and mirror when the retraining
    /// covers at least <see cref="AugmentationMinimumEpochs"/> passes over its rows, else none (<see cref="AugmentationFor"/>).
    /// </summary>
    public Augmentation? RetrainAugmentation { get; set; }

    /// <summary>
    /// The fewest passes over the rows for which the automatic rule augments. Measured: 34 passes (6,000 rows, 120 s)
    /// gained 0.4 points with shift and mirror; 2 passes (the main job, 60,000 rows) lost 1.9 (88.59 % against 90.53 %),
    /// and 10.7 passes (the main job at 330 s) lost 0.75 (92.17 % against 92.92 %). The threshold lies between 10.7 and
    /// 34; it was not swept (docs/time-budget.md). At 10, the rule of before, a main job on a machine about 1.2x faster than
    /// the one measured would have crossed it.
    /// </summary>
    public const double AugmentationMinimumEpochs = 20;

    /// <summary>The augmentation of a retraining of <paramref name="steps"/> batches of <paramref name="batchSize"/> over <paramref name="rows"/> rows.</summary>
    public Augmentation AugmentationFor(long steps, int batchSize, int rows) =>
        RetrainAugmentation ?? ((double)steps * batchSize / Math.Max(1, rows) >= AugmentationMinimumEpochs ? Augmentation.ShiftAndFlip : Augmentation.None);

    /// <summary>
    /// Retrain the pick on the training and validation rows together once the search is done (default true, as AutoML
    /// refits its best pipeline); the validation accuracy is then not measured (NaN). In-memory data only.
    /// </summary>
    public bool Refit { get; set; } = true;

    // ---- time and runtime ----

    /// <summary>
    /// A wall-time budget for the whole fit (null: none). The pipeline measures its own step and scoring costs and plans
    /// the stages whose counts are null; counts set explicitly win for their stage (docs/time-budget.md).
    /// </summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>How <see cref="TimeBudget"/> is split between supernet, search and retraining (null: <see cref="TimeBudgetShares.Default"/>).</summary>
    public TimeBudgetShares? TimeBudgetShares { get; set; }

    /// <summary>
    /// Under <see cref="TimeBudget"/>: the fewest planned supernet steps with which the fit searches; below them it
    /// retrains the prior pick for the whole budget (0: always search). Null (the default): a time-budgeted fit does not
    /// search, the prior pick retrains for the whole budget; every time-budgeted search measured so far (supernets of
    /// 300 to 7,440 steps) lost 0.2-2.3 points to it (docs/time-budget.md). Without a time budget, or with
    /// <see cref="SupernetEpochs"/> set, the fit searches.
    /// </summary>
    public long? MinimumSupernetSteps { get; set; }

    /// <summary>For tests: <see cref="TimeBudgetOptions.ProbeSkipShare"/> (0.5).</summary>
    internal double ProbeSkipShare { get; set; } = 0.5;

    /// <summary>libtorch threads (default: the machine's cores; runs side by side on one machine should take 1 each).</summary>
    [JsonIgnore]
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>Seed of initialization, data order, path sampling, search and the split.</summary>
    public int Seed { get; set; }

    /// <summary>The hard limits as the search takes them.</summary>
    [JsonIgnore]
    public SearchConstraints Constraints => new(MaxFlops, MaxParameters);

    /// <summary>
    /// The main job's preset (`kshotnas run`): a 240 s budget for the fit (so that `./run.sh` with its first build ends
    /// within 6 minutes on a 2-core machine), split 55/15/30 when it searches (more for the supernet than the default, to
    /// come near the ranking study's 10 path-epochs). The rest is the defaults (its retraining plans about 8 passes over
    /// 60,000 images, fewer than the automatic rule's 20, so it does not augment).
    /// </summary>
    /// <param name="timeBudgetSeconds">The fit's budget (null: none; then the job's counts from before budgets: 2 supernet
    /// epochs, 200 candidates, 3 retraining epochs).</param>
    public static NasRecipe MainJob(int? timeBudgetSeconds = MainJobTimeBudgetSeconds) => new()
    {
        TimeBudget = timeBudgetSeconds is { } t ? TimeSpan.FromSeconds(t) : null, TimeBudgetShares = new TimeBudgetShares(0.55, 0.15, 0.30),
        SupernetEpochs = timeBudgetSeconds is null ? 2 : null, SearchBudget = timeBudgetSeconds is null ? 200 : null,
        RetrainEpochs = timeBudgetSeconds is null ? 3 : null,
    };

    /// <summary>The main job's time budget for the fit in seconds (the whole job adds reading the data and the test evaluation).</summary>
    public const int MainJobTimeBudgetSeconds = 240;

    /// <summary>A copy (sub-objects are immutable or replaced whole).</summary>
    public NasRecipe Clone() => (NasRecipe)MemberwiseClone();

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> or <see cref="ArgumentException"/> naming the first setting out of
    /// range or the broken rule. Every cross-setting rule of a run is here or with its method (<see cref="SupernetMethod.Validate"/>).
    /// </summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object? value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}.");
        }
        Check(Method is not null, nameof(Method), null, "must be set");
        Check(MaxFlops is null or > 0, nameof(MaxFlops), MaxFlops, "must be positive");
        Check(MaxParameters is null or > 0, nameof(MaxParameters), MaxParameters, "must be positive");
        Check(SupernetEpochs is null or >= 1, nameof(SupernetEpochs), SupernetEpochs, "must be at least 1");
        Check(double.IsFinite(SupernetLearningRate) && SupernetLearningRate > 0, nameof(SupernetLearningRate), SupernetLearningRate, "must be finite and positive");
        Check(BatchSize >= 2, nameof(BatchSize), BatchSize, "must be at least 2 (batch statistics)");
        Check(!string.IsNullOrWhiteSpace(SearchStrategy), nameof(SearchStrategy), SearchStrategy, "must name a strategy");
        Check(SearchBudget is null or >= 1, nameof(SearchBudget), SearchBudget, "must be at least 1");
        Check(ScoringImages >= 2, nameof(ScoringImages), ScoringImages, "must be at least 2");
        Check(RetrainEpochs is null or >= 1, nameof(RetrainEpochs), RetrainEpochs, "must be at least 1");
        Check(RetrainSteps is null or >= 1, nameof(RetrainSteps), RetrainSteps, "must be at least 1");
        Check(TimeBudget is null || TimeBudget > TimeSpan.Zero, nameof(TimeBudget), TimeBudget, "must be positive");
        TimeBudgetShares?.Validate();
        Check(MinimumSupernetSteps is null or >= 0, nameof(MinimumSupernetSteps), MinimumSupernetSteps, "must not be negative");
        Check(Threads is >= 1 and <= 1024, nameof(Threads), Threads, "must be between 1 and 1024");
        if (Method is KShotMethod { Settings.WarmupEpochs: { } warmup })
            Check(double.IsFinite(warmup) && warmup >= 0 && (SupernetEpochs is null || warmup < SupernetEpochs), "KShotMethod.Settings.WarmupEpochs",
                warmup, "must be finite, not negative and below SupernetEpochs");
        Method!.Validate(SupernetOptions());
    }

    /// <summary>
    /// Resolves the space for data of <paramref name="imageShape"/> and <paramref name="classes"/> and checks, before any
    /// pixel is read, that it takes the data, that the limits leave a network and that a fixed architecture parses and
    /// keeps them.
    /// </summary>
    public SearchSpace SpaceFor(IReadOnlyList<long> imageShape, int classes, string data = "the data")
    {
        var space = Space ?? SpaceFit.DefaultFor(imageShape, classes);
        SpaceFit.Check(space, imageShape, classes, data);
        if (Architecture is { } text)
        {
            Spaces.Architecture a;
            try { a = space.Parse(text); }
            catch (ArchitectureFormatException e)
            {
                throw new ArgumentException($"Architecture '{text}' is not an architecture of space '{SpaceCatalog.Describe(space)}': {e.Message}", nameof(Architecture), e);
            }
            var profile = space.Profile(a);
            if (MaxFlops is { } f && profile.Flops > f)
                throw new ArgumentException($"Architecture '{text}' has {profile.Flops:N0} FLOPs, over MaxFlops {f:N0}.", nameof(Architecture));
            if (MaxParameters is { } n && profile.Params > n)
                throw new ArgumentException($"Architecture '{text}' has {profile.Params:N0} parameters, over MaxParameters {n:N0}.", nameof(Architecture));
        }
        Constraints.CheckFeasible(space, nameof(MaxFlops), nameof(MaxParameters));
        return space;
    }

    /// <summary>The supernet trainer's options this recipe gives (the method's sampling and rules applied).</summary>
    public SupernetTrainerOptions SupernetOptions() => Method.Configure(new SupernetTrainerOptions
    {
        Calr = Calr, MomentumSeparation = MomentumSeparation, Epochs = SupernetEpochs ?? DefaultSupernetEpochs, BatchSize = BatchSize,
        LearningRate = SupernetLearningRate, Seed = (ulong)Seed,
    });

    /// <summary>The retraining options this recipe gives (before a time budget plans them; an automatic augmentation is decided once the steps are known).</summary>
    public ClassifierTrainerOptions RetrainOptions() => new()
    {
        Recipe = RetrainRecipe, Epochs = RetrainEpochs ?? DefaultRetrainEpochs, Steps = RetrainSteps, BatchSize = BatchSize, Seed = Seed,
        MinimumSteps = RetrainEpochs is null ? DefaultMinimumRetrainSteps : 0, Augmentation = RetrainAugmentation ?? Augmentation.None,
    };

    /// <summary>The time budget and which stages it plans (a stage whose count is set keeps it); null without a budget.</summary>
    public TimeBudgetOptions? BudgetOptions() => TimeBudget is { } budget
        ? new TimeBudgetOptions
        {
            Budget = budget, Shares = TimeBudgetShares ?? Api.TimeBudgetShares.Default, PlanSupernet = SupernetEpochs is null,
            PlanSearch = SearchBudget is null, PlanRetrain = RetrainEpochs is null && RetrainSteps is null,
            MinimumSupernetSteps = MinimumSupernetSteps, ProbeSkipShare = ProbeSkipShare,
        }
        : null;

    /// <summary>Method, K and the LR/momentum rules in words, e.g. "fairnas + CaLR + MS".</summary>
    public string Describe() =>
        $"{Method.Name}{(Calr ? " + CaLR" : "")}{(MomentumSeparation ? " + MS" : "")}, "
        + $"{(SupernetEpochs is { } e ? $"{e} supernet epochs" : TimeBudget is null ? $"{DefaultSupernetEpochs} supernet epochs" : "supernet steps planned")}, "
        + $"scoring on {ScoringImages} images" + (TimeBudget is { } t ? $", time budget {t.TotalSeconds:0} s" : "") + (Refit ? ", refit on all training rows" : "");
}
