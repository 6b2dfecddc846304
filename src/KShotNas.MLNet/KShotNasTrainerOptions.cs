using KShotNas.Api;
using Microsoft.ML;

namespace KShotNas.MLNet;

public sealed partial class KShotNasTrainer
{
    /// <summary>
    /// Options of <see cref="KShotNasTrainer"/>: the columns, the image shape and how rows are read and split, and the NAS
    /// run itself as a <see cref="NasRecipe"/> (as LightGbm's options hold a booster object). The defaults work on
    /// Fashion-MNIST-sized data; a time budget (<c>Recipe.TimeBudget</c>) is the one setting most users need.
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
        /// The NAS run: space, hard limits (<c>MaxFlops</c>, <c>MaxParameters</c>), supernet method, search, retraining, time
        /// budget, threads and seed, with their defaults (<see cref="NasRecipe"/>, docs/recipe.md). Set its properties in
        /// place: <c>Recipe = { TimeBudget = TimeSpan.FromMinutes(2), MaxFlops = 3_000_000 }</c>.
        /// </summary>
        public NasRecipe Recipe { get; set; } = new();

        /// <summary>Fraction of the rows held out to score candidates (stratified by class); ignored with <see cref="ValidationData"/>.</summary>
        public double ValidationFraction { get; set; } = 0.2;

        /// <summary>Validation rows to score candidates on, instead of a split of the training rows.</summary>
        public IDataView? ValidationData { get; set; }

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

        /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range (the recipe's own checks included).</summary>
        internal void Validate()
        {
            static void Check(bool ok, string name, object? value, string rule)
            {
                if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}.");
            }
            Check(!string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), LabelColumnName, "must name a column");
            Check(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), FeatureColumnName, "must name a column");
            Check(ImageShape is null || (ImageShape.Length == 3 && ImageShape.All(d => d > 0)), nameof(ImageShape), ImageShape is null ? null : string.Join("x", ImageShape), "must be [C, H, W] with positive sizes");
            Check(Recipe is not null, nameof(Recipe), null, "must be set");
            Recipe!.Validate();
            Check(ValidationData is not null || ValidationFraction is > 0 and < 1, nameof(ValidationFraction), ValidationFraction, "must be strictly between 0 and 1");
            Check(MemoryBudgetBytes > 0, nameof(MemoryBudgetBytes), MemoryBudgetBytes, "must be positive");
            Check(StreamingShufflePool >= 1, nameof(StreamingShufflePool), StreamingShufflePool, "must be at least 1");
            Check(ScoreColumnName != PredictedLabelColumnName, nameof(PredictedLabelColumnName), PredictedLabelColumnName, "must differ from ScoreColumnName");
        }
    }
}
