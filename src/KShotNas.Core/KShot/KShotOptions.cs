namespace KShotNas.KShot;

/// <summary>
/// K-shot NAS training settings (used when the supernet has K &gt; 1 weight copies). Defaults follow the seeds
/// where they give a value (m = 16 paths per simplex-net step, a = 1, tau = 0.3 on the simplex-net); the
/// simplex-net optimizer is our choice (SGD, momentum 0.9, constant lr 0.05), documented in docs/kshot.md.
/// </summary>
public sealed class KShotOptions
{
    /// <summary>Epochs with lambda = 1/K before the alternation starts (seeds: 5 of 120).</summary>
    public int WarmupEpochs { get; set; } = 1;
    /// <summary>m: paths per simplex-net step, each on its own slice of the batch.</summary>
    public int SimplexPaths { get; set; } = 16;
    /// <summary>Simplex-net learning rate.</summary>
    public double SimplexLearningRate { get; set; } = 0.05;
    /// <summary>Simplex-net SGD momentum.</summary>
    public double SimplexMomentum { get; set; } = 0.9;
    /// <summary>a: weight of the width regularizer r_c (spaces with width choices only).</summary>
    public double WidthRegularization { get; set; } = 1;

    internal string Fingerprint() => $"{WarmupEpochs}|{SimplexPaths}|{SimplexLearningRate}|{SimplexMomentum}|{WidthRegularization}";
}
