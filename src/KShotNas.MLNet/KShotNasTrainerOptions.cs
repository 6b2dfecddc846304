using KShotNas.Training;
using Microsoft.ML;

namespace KShotNas.MLNet;

public sealed partial class KShotNasTrainer
{
    /// <summary>
    /// Options of <see cref="KShotNasTrainer"/>: the columns, the image shape, and the whole NAS path (supernet
    /// training, search under hard limits, retraining). The defaults work on Fashion-MNIST-sized data; budgets
    /// (epochs, search candidates) are what to raise for accuracy and lower for speed.
    /// </summary>
    public sealed class Options
    {
        /// <summary>The label column: a key type (use MapValueToKey on the raw label). Default "Label".</summary>
        public string LabelColumnName { get; set; } = "Label";

        /// <summary>
        /// The features column: a known-size vector of Single holding one image per row in C x H x W order
        /// (ExtractPixels' layout), raw pixels (0-255, or 0-1 with scaleImage): the trainer learns the normalization
        /// and bakes it into the model. Default "Features".
        /// </summary>
        public string FeatureColumnName { get; set; } = "Features";

        /// <summary>The image shape [C, H, W] (H = W). Optional when the column's dimensions carry it (ExtractPixels' do).</summary>
        public int[]? ImageShape { get; set; }

        /// <summary>
        /// The search space descriptor (e.g. "nb201:C=16,N=2,in=3,size=32,classes=5"). Default: the small NAS-Bench-201
        /// skeleton (C = 8, one cell per stage) adapted to the data's channels, image size and class count.
        /// </summary>
        public string? Space { get; set; }

        /// <summary>
        /// How the supernet samples paths: SPOS (one per step), FairNAS (every option once per step) or the sandwich rule.
        /// Default FairNAS: with CaLR and MS it ranked best in our study (docs/study/), at more compute per image.
        /// </summary>
        public PathSampling SupernetMethod { get; set; } = PathSampling.FairNas;

        /// <summary>K-shot NAS: K supernets mixed per path by a simplex-net; 1 is plain one-shot training.</summary>
        public int K { get; set; } = 1;

        /// <summary>K-shot: epochs (fractions allowed) of uniform mixing before the simplex-net starts; null: the seeds' 5/120 of the run.</summary>
        public double? KShotWarmupEpochs { get; set; }

        /// <summary>K-shot: paths per simplex-net update (m).</summary>
        public int SimplexPaths { get; set; } = 16;

        /// <summary>K-shot: images per path in a simplex-net update (the seeds' 64; capped at the batch size).</summary>
        public int SimplexGroupSize { get; set; } = 64;

        /// <summary>The complexity-aware learning-rate schedule (CaLR) for supernet training.</summary>
        public bool Calr { get; set; } = true;

        /// <summary>Momentum separation (MS): one momentum buffer set per complexity cluster.</summary>
        public bool MomentumSeparation { get; set; } = true;

        /// <summary>
        /// A wall-time budget for the whole <c>Fit</c>, as AutoML experiments take one (null: none). The trainer measures
        /// its own step and scoring costs in the first seconds and plans supernet training, the search and retraining so
        /// that Fit ends within it; counts set explicitly (<see cref="SupernetEpochs"/>, <see cref="SearchBudget"/>,
        /// <see cref="RetrainEpochs"/>, <see cref="RetrainSteps"/>) still win for their stage. The plan and the actual
        /// split go to MLContext.Log and <c>LastResult.Record.Plan</c> (docs/time-budget.md).
        /// </summary>
        public TimeSpan? TimeBudget { get; set; }

        /// <summary>How <see cref="TimeBudget"/> is split between supernet, search and retraining (null: the measured default, docs/time-budget.md).</summary>
        public Api.TimeBudgetShares? TimeBudgetShares { get; set; }

        /// <summary>
        /// Retrain the found network on the training and validation rows together once the search is done (default true,
        /// as AutoML refits its best pipeline). <c>LastResult.ValidationAccuracy</c> is then NaN (those rows trained the
        /// final network): evaluate on your own test rows. Streamed data retrains on the training rows only.
        /// </summary>
        public bool Refit { get; set; } = true;

        /// <summary>Supernet training epochs (null: planned from <see cref="TimeBudget"/>, else 5).</summary>
        public int? SupernetEpochs { get; set; }

        /// <summary>Mini-batch size of supernet training and retraining.</summary>
        public int BatchSize { get; set; } = 64;

        /// <summary>Peak learning rate of supernet training (SGD, cosine or CaLR).</summary>
        public double SupernetLearningRate { get; set; } = 0.025;

        /// <summary>
        /// An architecture in the space's text form to retrain as it is, skipping the supernet and the search (null, the
        /// default: search). Everything else (split, normalization, retraining recipe, ONNX, chain) is as after a search,
        /// so a known cell can be compared with a search's pick under the same recipe. It must satisfy MaxFlops/MaxParameters.
        /// </summary>
        public string? Architecture { get; set; }

        /// <summary>Search strategy: random, exhaustive, evolution, regularized-evolution or nsga2.</summary>
        public string SearchStrategy { get; set; } = "evolution";

        /// <summary>Candidates the search scores with the supernet (null: as many as <see cref="TimeBudget"/>'s search share allows, else 200).</summary>
        public int? SearchBudget { get; set; }

        /// <summary>Hard limit on the found network's multiply-accumulates (null: none).</summary>
        public long? MaxFlops { get; set; }

        /// <summary>Hard limit on the found network's parameters (null: none).</summary>
        public long? MaxParameters { get; set; }

        /// <summary>Fraction of the rows held out to score candidates (stratified by class); ignored with <see cref="ValidationData"/>.</summary>
        public double ValidationFraction { get; set; } = 0.2;

        /// <summary>Validation rows to score candidates on, instead of a split of the training rows.</summary>
        public IDataView? ValidationData { get; set; }

        /// <summary>Validation images each candidate is scored on (batch statistics of this many images).</summary>
        public int ScoringImages { get; set; } = 2048;

        /// <summary>Retraining recipe of the found network from scratch.</summary>
        public TrainingRecipe RetrainRecipe { get; set; } = TrainingRecipe.CosineSgd;

        /// <summary>
        /// Retraining epochs (null: planned from <see cref="TimeBudget"/>, else 5 epochs and at least
        /// <see cref="DefaultMinimumRetrainSteps"/> steps, so small data is not starved).
        /// </summary>
        public int? RetrainEpochs { get; set; }

        /// <summary>
        /// Random changes to the retraining's batches: a shift of up to 2 pixels and, by default, mirroring half of them
        /// (<see cref="Augmentation.ShiftAndFlip"/>). Use <see cref="Augmentation.Shift"/> when a mirrored image is another
        /// class (digits, letters); <see cref="Augmentation.None"/> for the images as they are.
        /// </summary>
        public Augmentation RetrainAugmentation { get; set; } = Augmentation.ShiftAndFlip;

        /// <summary>Retraining steps (mini-batches) instead of epochs; wins over <see cref="RetrainEpochs"/> and the time budget's plan.</summary>
        public long? RetrainSteps { get; set; }

        /// <summary>The fewest retraining steps when neither epochs, steps nor a time budget set them.</summary>
        public const long DefaultMinimumRetrainSteps = 1500;

        /// <summary>libtorch threads (default: the machine's cores).</summary>
        public int Threads { get; set; } = Environment.ProcessorCount;

        /// <summary>Seed of initialization, data order, path sampling, search and the split.</summary>
        public int Seed { get; set; }

        /// <summary>
        /// Largest training set copied into memory as one tensor, in bytes (default 2 GiB). A larger data view is
        /// streamed: batches are read through a cursor with pool shuffling, so data larger than memory can train.
        /// </summary>
        public long MemoryBudgetBytes { get; set; } = 2L << 30;

        /// <summary>Rows in the shuffle pool of the streaming path.</summary>
        public int StreamingShufflePool { get; set; } = 10_000;

        /// <summary>Name of the class-probabilities output column (ML.NET's convention: "Score").</summary>
        public string ScoreColumnName { get; set; } = "Score";

        /// <summary>Name of the predicted-label output column (ML.NET's convention: "PredictedLabel").</summary>
        public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

        /// <summary>
        /// Stops Fit between training steps (it then throws <see cref="OperationCanceledException"/>). ML.NET's own
        /// MLContext.CancelExecution() is honoured too, but is internal to ML.NET 5 (AutoML uses it), so this token is
        /// the public way.
        /// </summary>
        public CancellationToken CancellationToken { get; set; }

        /// <summary>Progress of the stages for a library caller (MLContext.Log receives the same lines).</summary>
        public IProgress<Api.NasProgress>? Progress { get; set; }

        /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
        internal void Validate()
        {
            static void Check(bool ok, string name, object? value, string rule)
            {
                if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}.");
            }
            Check(!string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), LabelColumnName, "must name a column");
            Check(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), FeatureColumnName, "must name a column");
            Check(ImageShape is null || (ImageShape.Length == 3 && ImageShape.All(d => d > 0)), nameof(ImageShape), ImageShape is null ? null : string.Join("x", ImageShape), "must be [C, H, W] with positive sizes");
            Check(K >= 1, nameof(K), K, "must be at least 1");
            Check(KShotWarmupEpochs is null || (double.IsFinite(KShotWarmupEpochs.Value) && KShotWarmupEpochs >= 0
                                                && (SupernetEpochs is null || KShotWarmupEpochs < SupernetEpochs)),
                nameof(KShotWarmupEpochs), KShotWarmupEpochs, "must be finite, not negative and below SupernetEpochs");
            Check(TimeBudget is null || TimeBudget > TimeSpan.Zero, nameof(TimeBudget), TimeBudget, "must be positive");
            TimeBudgetShares?.Validate();
            Check(SimplexPaths >= 1, nameof(SimplexPaths), SimplexPaths, "must be at least 1");
            Check(SimplexGroupSize >= 1, nameof(SimplexGroupSize), SimplexGroupSize, "must be at least 1");
            Check(SupernetEpochs is null or >= 1, nameof(SupernetEpochs), SupernetEpochs, "must be at least 1");
            Check(BatchSize >= 2, nameof(BatchSize), BatchSize, "must be at least 2 (batch statistics)");
            Check(double.IsFinite(SupernetLearningRate) && SupernetLearningRate > 0, nameof(SupernetLearningRate), SupernetLearningRate, "must be finite and positive");
            Check(SearchBudget is null or >= 1, nameof(SearchBudget), SearchBudget, "must be at least 1");
            Check(MaxFlops is null or > 0, nameof(MaxFlops), MaxFlops, "must be positive");
            Check(MaxParameters is null or > 0, nameof(MaxParameters), MaxParameters, "must be positive");
            Check(ValidationData is not null || ValidationFraction is > 0 and < 1, nameof(ValidationFraction), ValidationFraction, "must be strictly between 0 and 1");
            Check(ScoringImages >= 2, nameof(ScoringImages), ScoringImages, "must be at least 2");
            Check(RetrainEpochs is null or >= 1, nameof(RetrainEpochs), RetrainEpochs, "must be at least 1");
            Check(RetrainSteps is null or >= 1, nameof(RetrainSteps), RetrainSteps, "must be at least 1");
            Check(Threads is >= 1 and <= 1024, nameof(Threads), Threads, "must be between 1 and 1024");
            Check(MemoryBudgetBytes > 0, nameof(MemoryBudgetBytes), MemoryBudgetBytes, "must be positive");
            Check(StreamingShufflePool >= 1, nameof(StreamingShufflePool), StreamingShufflePool, "must be at least 1");
            Check(!(MomentumSeparation && SupernetMethod == PathSampling.Sandwich), nameof(MomentumSeparation), MomentumSeparation,
                "is defined for SPOS and FairNAS, not the sandwich rule");
            Check(ScoreColumnName != PredictedLabelColumnName, nameof(PredictedLabelColumnName), PredictedLabelColumnName, "must differ from ScoreColumnName");
        }
    }
}
