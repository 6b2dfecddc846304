using KShotNas.Torch.Optim;

namespace KShotNas.Training;

/// <summary>
/// Options of <see cref="SupernetTrainer"/>; every method combines with the others (e.g. FairNAS + CaLR + MS).
/// Defaults follow the seeds' NB201 recipe: SGD lr 0.025 (cosine to 0.001), momentum 0.9 Nesterov,
/// weight decay 5e-4, batch 64, gradient clipping at 5.
/// </summary>
public sealed class SupernetTrainerOptions
{
    /// <summary>Path sampling.</summary>
    public PathSampling Sampling { get; set; } = PathSampling.Spos;
    /// <summary>Random paths per sandwich step, besides the smallest and largest.</summary>
    public int SandwichRandomPaths { get; set; } = 2;
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = 1;
    /// <summary>
    /// Total steps instead of <see cref="Epochs"/> x steps per epoch (null: whole epochs). A time-budgeted run plans its
    /// supernet training in steps; the schedules (cosine, CaLR, K-shot warm-up) span exactly these steps.
    /// </summary>
    public long? Steps { get; set; }
    /// <summary>
    /// Train for this wall time instead of a step count (null: steps). The schedules advance with the share of the time
    /// used, over <see cref="Steps"/> (or the epochs' steps) as their scale, and training stops when the time is up.
    /// For time-budgeted fits; such a run is not reproducible step for step and is not meant to be resumed.
    /// </summary>
    public TimeSpan? TimeLimit { get; set; }
    /// <summary>
    /// With a <see cref="TimeLimit"/>: once <see cref="ProjectionShare"/> of the time is used, the steps the whole time
    /// holds are projected from the rate so far, and training stops early (<see cref="SupernetTrainingResult.Abandoned"/>)
    /// when they are fewer than this (null: never). A time-budgeted fit then spends the rest on its prior pick: the
    /// projection measures real steps, where a probe before training misjudged them 0.4-3.6x.
    /// </summary>
    public long? MinimumProjectedSteps { get; set; }
    /// <summary>The share of <see cref="TimeLimit"/> after which <see cref="MinimumProjectedSteps"/> is checked.</summary>
    public double ProjectionShare { get; set; } = 0.1;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; set; } = 64;
    /// <summary>lr_0.</summary>
    public double LearningRate { get; set; } = 0.025;
    /// <summary>End of the cosine schedule (ignored by CaLR, which uses <see cref="EtaMin"/>).</summary>
    public double MinLearningRate { get; set; } = 0.001;
    /// <summary>Complexity-aware LR schedule instead of cosine.</summary>
    public bool Calr { get; set; }
    /// <summary>CaLR's gamma_max (gamma_min = 1 / gamma_max).</summary>
    public double GammaMax { get; set; } = 4;
    /// <summary>CaLR's relative floor eta_min.</summary>
    public double EtaMin { get; set; }
    /// <summary>Momentum separation.</summary>
    public bool MomentumSeparation { get; set; }
    /// <summary>Number of MS decisions drawn at random (e edges give 5^e clusters on NB201).</summary>
    public int MsDecisionCount { get; set; } = 1;
    /// <summary>MS decisions given explicitly (overrides the random draw).</summary>
    public int[]? MsDecisions { get; set; }
    /// <summary>
    /// What a step does to weights its path does not use. Default <see cref="UntouchedParameters.Skip"/>: they keep
    /// their value and buffers (the reference code instead decays them from the active cluster's buffer:
    /// <see cref="UntouchedParameters.UpdateWithZeroGradient"/>).
    /// </summary>
    public UntouchedParameters Untouched { get; set; } = UntouchedParameters.Skip;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; set; } = 0.9;
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; set; } = true;
    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; set; } = 5e-4;
    /// <summary>Global-norm gradient clipping (null: none).</summary>
    public double? GradientClipNorm { get; set; } = 5;
    /// <summary>Label smoothing.</summary>
    public double LabelSmoothing { get; set; }
    /// <summary>Seed of path sampling, MS decisions and data order (weight init is seeded through TorchRuntime.ManualSeed).</summary>
    public ulong Seed { get; set; }
    /// <summary>Report progress every this many steps.</summary>
    public int ReportEvery { get; set; } = 20;
    /// <summary>Decisions held at one option (few-shot sub-supernets).</summary>
    public IReadOnlyDictionary<int, int>? FixedDecisions { get; set; }
    /// <summary>Write a checkpoint here (atomically) every <see cref="CheckpointEvery"/> steps and at the end.</summary>
    public string? CheckpointPath { get; set; }
    /// <summary>Steps between checkpoints (0: only at the end of each epoch).</summary>
    public int CheckpointEvery { get; set; }
    /// <summary>K-shot NAS settings, used when the supernet holds K &gt; 1 weight copies.</summary>
    public KShot.KShotOptions KShot { get; set; } = new();

    /// <summary>Stop (with a checkpoint) once this many steps are done, as an interruption would.</summary>
    public long? StopAtStep { get; set; }

    /// <summary>A shallow copy (few-shot training derives one per sub-supernet).</summary>
    public SupernetTrainerOptions Clone() => (SupernetTrainerOptions)MemberwiseClone();

    /// <summary>
    /// The labelled settings a resumed run must share with the run it continues, with the training set's size;
    /// a mismatch names each differing setting.
    /// </summary>
    public Reliability.RunConfiguration Configuration(int trainImages) => new Reliability.RunConfiguration()
        .Set("sampling", Sampling).Set("sandwich_random_paths", SandwichRandomPaths).Set("epochs", Epochs).Set("steps", Steps).Set("batch_size", BatchSize)
        .Set("lr", LearningRate).Set("min_lr", MinLearningRate).Set("calr", Calr).Set("gamma_max", GammaMax).Set("eta_min", EtaMin)
        .Set("ms", MomentumSeparation).Set("ms_edges", MsDecisionCount).Set("ms_decisions", string.Join(",", MsDecisions ?? []))
        .Set("untouched", Untouched).Set("momentum", Momentum).Set("nesterov", Nesterov).Set("weight_decay", WeightDecay)
        .Set("clip", GradientClipNorm).Set("label_smoothing", LabelSmoothing).Set("seed", Seed)
        .Set("fixed_decisions", string.Join(",", (FixedDecisions ?? new Dictionary<int, int>()).Select(kv => $"{kv.Key}={kv.Value}")))
        .Set("kshot", KShot.Fingerprint()).Set("train_images", trainImages);

    /// <summary>The settings a resumed run must share with the run it continues.</summary>
    internal string Fingerprint() =>
        $"{Sampling}|{SandwichRandomPaths}|{Epochs}|{Steps}|{BatchSize}|{LearningRate}|{MinLearningRate}|{Calr}|{GammaMax}|{EtaMin}|"
        + $"{MomentumSeparation}|{MsDecisionCount}|{string.Join(",", MsDecisions ?? [])}|{Untouched}|{Momentum}|{Nesterov}|{WeightDecay}|"
        + $"{GradientClipNorm}|{LabelSmoothing}|{Seed}|{string.Join(",", (FixedDecisions ?? new Dictionary<int, int>()).Select(kv => $"{kv.Key}={kv.Value}"))}|{KShot.Fingerprint()}";
}

/// <summary>A progress report of supernet training; <paramref name="Warning"/> is set on a report that carries a warning
/// (e.g. a collapsed K-shot simplex-net), whose loss and accuracy are NaN.</summary>
public sealed record SupernetProgress(int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double Accuracy, double LearningRate,
    double ImagesPerSecond, string? Warning = null);

/// <summary>The outcome of supernet training.</summary>
/// <param name="Steps">Steps done in total (including those before a resume).</param>
/// <param name="StepLosses">Mean loss of each step this call ran.</param>
/// <param name="Duration">Wall time of this call.</param>
/// <param name="MsDecisions">The MS decisions used (empty without MS).</param>
/// <param name="MomentumElements">Scalars held by all momentum buffer sets (the memory MS adds shows here).</param>
/// <param name="Completed">False when stopped early by <see cref="SupernetTrainerOptions.StopAtStep"/>.</param>
/// <param name="Warnings">Warnings raised during this call (e.g. a collapsed K-shot simplex-net), each prefixed by its step.</param>
/// <param name="ProjectedSteps">Steps the whole time limit was projected to hold (null: not projected).</param>
/// <param name="Abandoned">True when stopped because the projection fell short of <see cref="SupernetTrainerOptions.MinimumProjectedSteps"/>.</param>
public sealed record SupernetTrainingResult(long Steps, IReadOnlyList<double> StepLosses, TimeSpan Duration, IReadOnlyList<int> MsDecisions,
    long MomentumElements, bool Completed, IReadOnlyList<string>? Warnings = null, long? ProjectedSteps = null, bool Abandoned = false);
