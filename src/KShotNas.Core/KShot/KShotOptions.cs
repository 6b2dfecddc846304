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
    /// <summary>Check the codes of a fixed probe set of paths for collapse at every epoch end after warm-up (and at the end).</summary>
    public bool CheckCollapse { get; set; } = true;

    /// <summary>Warm-up steps of a run of <paramref name="epochs"/> epochs of <paramref name="stepsPerEpoch"/> steps.</summary>
    public long WarmupSteps(int epochs, int stepsPerEpoch) =>
        (long)Math.Round((WarmupEpochs ?? SeedWarmupShare * epochs) * stepsPerEpoch);

    /// <summary>The group size a batch of <paramref name="batchSize"/> images gives (the option, capped at the batch).</summary>
    public int GroupSizeFor(int batchSize) => Math.Min(SimplexGroupSize, batchSize);

    internal string Fingerprint() => string.Join("|", WarmupEpochs?.ToString("R", CultureInfo.InvariantCulture) ?? "seeds",
        SimplexPaths, SimplexGroupSize, SimplexLearningRate.ToString("R", CultureInfo.InvariantCulture),
        SimplexMomentum.ToString("R", CultureInfo.InvariantCulture), WidthRegularization.ToString("R", CultureInfo.InvariantCulture));
}
