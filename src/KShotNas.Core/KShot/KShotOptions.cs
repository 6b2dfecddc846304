using System.Globalization;

namespace KShotNas.KShot;

/// <summary>
/// K-shot NAS training settings (used when the supernet has K &gt; 1 weight copies). Defaults follow the seeds
/// where they give a value (m = 16 paths per simplex-net step, 64 images per path, a = 1, warm-up 5/120 of the
/// training; tau = 0.3 is on the simplex-net); the simplex-net optimizer is our choice (SGD, momentum 0.9, constant
/// lr 0.05), documented in docs/kshot.md. The point-by-point comparison is docs/study/kshot-fidelity.md.
/// </summary>
public sealed class KShotOptions
{
    /// <summary>The seeds' warm-up share of training: 5 of 120 epochs.</summary>
    public const double SeedWarmupShare = 5.0 / 120;

    /// <summary>
    /// Epochs (fractions allowed) with lambda = 1/K before the alternation starts; null: the seeds' share of the run,
    /// 5/120 of its epochs.
    /// </summary>
    public double? WarmupEpochs { get; set; }
    /// <summary>m: paths per simplex-net update, each on its own group of images.</summary>
    public int SimplexPaths { get; set; } = 16;
    /// <summary>
    /// Images per path in a simplex-net update (seeds: batch 1024 / m 16 = 64), capped at the batch size. A group
    /// smaller than the batch splits each batch into batch / group paths; a group equal to the batch gives each path
    /// a whole batch, so one update spans m / (batch / group) batches and supernet phases of as many batches
    /// alternate with simplex phases (the seeds alternate one 1,024-image step of each kind).
    /// </summary>
    public int SimplexGroupSize { get; set; } = 64;
    /// <summary>Simplex-net learning rate.</summary>
    public double SimplexLearningRate { get; set; } = 0.05;
    /// <summary>Simplex-net SGD momentum.</summary>
    public double SimplexMomentum { get; set; } = 0.9;
    /// <summary>a: weight of the width regularizer r_c (spaces with width choices only).</summary>
    public double WidthRegularization { get; set; } = 1;
    /// <summary>
    /// How far a supernet step moves the merged weights: <see cref="KShotStepRule.PerCopy"/> (the seeds: each copy takes
    /// its share of the gradient, so the merged weights move at lr * sum_k lambda_k^2, lr / K at uniform codes) or
    /// <see cref="KShotStepRule.OneShot"/> (each path's loss is scaled by 1 / sum_k lambda_k^2, so the merged weights move
    /// as one supernet's do at the same lr, at any code). docs/kshot.md derives the rule.
    /// </summary>
    public KShotStepRule StepRule { get; set; } = KShotStepRule.PerCopy;
    /// <summary>Check the codes of a fixed probe set of paths for collapse at every epoch end after warm-up (and at the end).</summary>
    public bool CheckCollapse { get; set; } = true;

    /// <summary>Warm-up steps of a run of <paramref name="epochs"/> epochs of <paramref name="stepsPerEpoch"/> steps.</summary>
    public long WarmupSteps(int epochs, int stepsPerEpoch) =>
        (long)Math.Round((WarmupEpochs ?? SeedWarmupShare * epochs) * stepsPerEpoch);

    /// <summary>The group size a batch of <paramref name="batchSize"/> images gives (the option, capped at the batch).</summary>
    public int GroupSizeFor(int batchSize) => Math.Min(SimplexGroupSize, batchSize);

    // The step rule joins the fingerprint only when it is not the seeds' one, so runs written before it existed still resume.
    internal string Fingerprint() => string.Join("|", WarmupEpochs?.ToString("R", CultureInfo.InvariantCulture) ?? "seeds",
        SimplexPaths, SimplexGroupSize, SimplexLearningRate.ToString("R", CultureInfo.InvariantCulture),
        SimplexMomentum.ToString("R", CultureInfo.InvariantCulture), WidthRegularization.ToString("R", CultureInfo.InvariantCulture))
        + (StepRule == KShotStepRule.PerCopy ? "" : $"|step={StepRule}");
}

/// <summary>How a K-shot supernet step scales the merged weights' movement (see <see cref="KShotOptions.StepRule"/>).</summary>
public enum KShotStepRule
{
    /// <summary>The seeds' plain SGD on every copy: the merged weights move at lr * sum_k lambda_k^2.</summary>
    PerCopy,
    /// <summary>Each path's loss scaled by 1 / sum_k lambda_k^2: the merged weights move as one supernet's weights do.</summary>
    OneShot,
}
