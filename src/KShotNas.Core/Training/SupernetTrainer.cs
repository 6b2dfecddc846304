using System.Diagnostics;
using System.Globalization;
using KShotNas.Data;
using KShotNas.Distributed;
using KShotNas.KShot;
using KShotNas.Reliability;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;
using KShotNas.Torch.Serialization;

namespace KShotNas.Training;

/// <summary>
/// Trains a supernet with SPOS, FairNAS or the sandwich rule, a cosine or CaLR schedule, optional momentum
/// separation, clipping and label smoothing; reports progress, honours cancellation, checkpoints atomically
/// and resumes exactly (weights, every cluster's buffers, step counter, random streams).
/// </summary>
public sealed class SupernetTrainer
{
    private const string Format = "kshotnas-supernet-training-v2";

    // The last checkpoint written (or resumed from) with finite weights: where a diverged run can continue from.
    private string? _lastGoodCheckpoint;
    private long _lastGoodStep;
    private RunConfiguration _config = new();
    private int _epochs; // of the run in progress: whole epochs, or the epochs a step count touches

    /// <summary>Creates a trainer.</summary>
    public SupernetTrainer(SupernetTrainerOptions? options = null)
    {
        Options = options ?? new SupernetTrainerOptions();
        Methods.SupernetMethod.Of(Options.Sampling).Validate(Options); // the method's rules live with the method
    }

    /// <summary>The options.</summary>
    public SupernetTrainerOptions Options { get; }

    /// <summary>Data-parallel training across processes (null: one process). <see cref="SupernetTrainerOptions.BatchSize"/> is then the global batch.</summary>
    public DataParallel? Parallel { get; init; }

    /// <summary>Trains <paramref name="supernet"/> on <paramref name="train"/>, from scratch or from <paramref name="resumeFrom"/>.</summary>
    public SupernetTrainingResult Fit(Supernet supernet, IImageBatches train, IProgress<SupernetProgress>? progress = null,
        CancellationToken cancellationToken = default, string? resumeFrom = null)
    {
        var o = Options;
        var space = supernet.Space;
        var stepsPerEpoch = train.BatchCount(o.BatchSize, dropLast: true);
        if (stepsPerEpoch == 0) throw new ArgumentException($"The training set ({train.Count}) is smaller than one batch ({o.BatchSize}).");
        var total = o.Steps ?? (long)stepsPerEpoch * o.Epochs;
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(Options), total, "Supernet training needs at least one step.");
        _epochs = (int)((total + stepsPerEpoch - 1) / stepsPerEpoch);
        _config = o.Configuration(train.Count);
        _lastGoodCheckpoint = null;
        _lastGoodStep = 0;
        var rng = new CheckpointableRandom(o.Seed);
        var ms = o.MomentumSeparation ? Training.MomentumSeparation.Choose(space, o.MsDecisionCount, o.MsDecisions, rng) : null;
        var sampler = new PathSampler(space, o.Sampling, o.SandwichRandomPaths, o.FixedDecisions);
        var calr = o.Calr ? new ComplexityAwareSchedule(space, o.LearningRate, total, o.GammaMax, etaMin: o.EtaMin) : null;
        var cosine = new CosineSchedule(o.LearningRate, total, o.MinLearningRate);
        var parameters = new ParameterList(supernet.Parameters());
        using var sgd = new Sgd(parameters.Tensors, new SgdOptions
        {
            Momentum = o.Momentum, Nesterov = o.Nesterov && o.Momentum > 0, WeightDecay = o.WeightDecay, Untouched = o.Untouched,
        });
        var clusters = new MomentumBuffers?[ms?.ClusterCount ?? 1];
        // K = 1 is exactly one-shot training: no simplex-net, no simplex steps.
        using var kshot = supernet.Weights.K > 1
            ? new KShotController(supernet, o.KShot, new PathSampler(space, PathSampling.Spos, fixedDecisions: o.FixedDecisions),
                o.KShot.WarmupSteps(_epochs, stepsPerEpoch), o.BatchSize)
            : null;
        try
        {
            long step = 0;
            if (resumeFrom is not null)
            {
                (step, rng) = Restore(resumeFrom, supernet, sgd, clusters, ms, kshot);
                (_lastGoodCheckpoint, _lastGoodStep) = (resumeFrom, step);
            }
            if (Parallel is not null) StartParallel(Parallel, supernet, train, step);
            return Run(new RunState(supernet, train, sgd, parameters, clusters, ms, sampler, calr, cosine, kshot), rng, step, total, stepsPerEpoch,
                progress, cancellationToken);
        }
        finally
        {
            foreach (var c in clusters) c?.Dispose();
        }
    }

    /// <summary>What one training run works with.</summary>
    private sealed record RunState(Supernet Supernet, IImageBatches Train, Sgd Sgd, ParameterList Parameters, MomentumBuffers?[] Clusters,
        MomentumSeparation? Ms, PathSampler Sampler, ComplexityAwareSchedule? Calr, CosineSchedule Cosine, KShotController? KShot);

    private SupernetTrainingResult Run(RunState state, CheckpointableRandom rng, long step, long total, int stepsPerEpoch,
        IProgress<SupernetProgress>? progress, CancellationToken ct)
    {
        var o = Options;
        var (supernet, train, _, _, clusters, ms, sampler, _, _, kshot) = state;
        var clock = Stopwatch.StartNew();
        // A time-limited run places the schedules by the share of its time used, so they end with the time whatever the
        // machine's speed does meanwhile; it stops when the time is up (the step count is then only the schedules' scale).
        var limit = o.TimeLimit;
        bool TimeUp() => limit is { } l && clock.Elapsed >= l;
        long ScheduleStep() => limit is { } l ? (long)(Math.Min(1.0, clock.Elapsed / l) * (total - 1)) : step;
        var window = Stopwatch.StartNew();
        var losses = new List<double>();
        var warnings = new List<string>();
        double lossSum = 0, accSum = 0, lr = 0; // lr: of the last supernet step (a K-shot simplex step has none)
        int windowSteps = 0;
        var firstStep = step;
        long? projected = null;
        supernet.Train();
        supernet.Norms.UseBatchStatistics();
        while (limit is null ? step < total : !TimeUp())
        {
            var epoch = (int)(step / stepsPerEpoch);
            foreach (var (images, labels) in train.Batches(o.BatchSize, (int)(o.Seed % int.MaxValue) + epoch, dropLast: true,
                         startBatch: (int)(step % stepsPerEpoch)))
            {
                using var x = images;
                using var y = labels;
                // Checked between steps only, so the checkpoint written here resumes exactly.
                if (ct.IsCancellationRequested) throw Interrupted(state, step, rng, ct);
                double loss, acc;
                var pathCount = 1;
                if (kshot is not null && kshot.IsSimplexStep(step))
                {
                    (loss, acc) = kshot.SimplexStep(x, y, rng, o.LabelSmoothing, Parallel);
                    if (!double.IsFinite(loss)) throw Diverged(step, $"the simplex-net loss is {loss}");
                }
                else
                {
                    var paths = sampler.Next(rng, o.Sampling == PathSampling.FairNas ? ms?.Decisions : null);
                    pathCount = paths.Count;
                    (loss, acc, lr) = Step(state, ms?.ClusterOf(paths[0]) ?? 0, paths, step, ScheduleStep(), x, y);
                }
                losses.Add(loss);
                lossSum += loss; accSum += acc; windowSteps++;
                step++;
                // Read once a step: the report and the stop must agree that the time is up, or the last report could be missed.
                var timeUp = TimeUp();
                if (step % o.ReportEvery == 0 || (limit is null ? step == total : timeUp))
                {
                    progress?.Report(new SupernetProgress(epoch + 1, _epochs, step, TimedProgress.Total(step, firstStep, total, limit, clock.Elapsed),
                        lossSum / windowSteps, accSum / windowSteps, lr,
                        windowSteps * (double)o.BatchSize * pathCount / Math.Max(1e-9, window.Elapsed.TotalSeconds)));
                    lossSum = accSum = 0; windowSteps = 0; window.Restart();
                }
                if (projected is null && o.MinimumProjectedSteps is { } minimum && Parallel is null && limit is { } l2 && clock.Elapsed >= l2 * o.ProjectionShare)
                {
                    projected = (long)((step - firstStep) * (l2 / clock.Elapsed));
                    if (projected < minimum)
                        return Result(step, losses, clock, ms, clusters, completed: false, warnings, projected) with { Abandoned = true };
                }
                var stop = o.StopAtStep is { } s && step >= s || timeUp;
                var epochEnd = step % stepsPerEpoch == 0;
                if (o.CheckpointPath is not null && (Parallel?.IsWriter ?? true) && (stop || epochEnd || (o.CheckpointEvery > 0 && step % o.CheckpointEvery == 0)))
                    SaveChecked(o.CheckpointPath, supernet, clusters, ms, step, rng, kshot);
                if ((epochEnd || step == total) && kshot is not null) CheckCodes(kshot, step, epoch, total, lr, progress, warnings);
                if (stop) return Result(step, losses, clock, ms, clusters, completed: step >= total || timeUp, warnings, projected);
                if (epochEnd) break;
            }
        }
        return Result(step, losses, clock, ms, clusters, completed: true, warnings, projected);
    }

    /// <summary>K-shot: a collapsed simplex-net (one code for all, or one vertex) is reported, not silently trained on.</summary>
    private void CheckCodes(KShotController kshot, long step, int epoch, long total, double lr, IProgress<SupernetProgress>? progress, List<string> warnings)
    {
        if (!Options.KShot.CheckCollapse || !kshot.WarmedUp(step) || warnings.Count > 0 && warnings[^1].StartsWith($"step {step}:", StringComparison.Ordinal)) return;
        if (kshot.ProbeCodes().CollapseWarning is not { } warning) return;
        warnings.Add($"step {step}: {warning}");
        progress?.Report(new SupernetProgress(epoch + 1, _epochs, step, total, double.NaN, double.NaN, lr, 0, warnings[^1]));
    }

    private void StartParallel(DataParallel parallel, Supernet supernet, IImageBatches train, long step)
    {
        parallel.CheckBatch(Options.BatchSize);
        if (supernet.Weights.K > 1 && parallel.Group is not null && Options.KShot.SimplexPaths < parallel.Shards)
            throw new ArgumentException($"K-shot simplex steps share their {Options.KShot.SimplexPaths} paths among {parallel.Shards} ranks; "
                                        + "use at least as many simplex paths as ranks.");
        parallel.CheckSameSettings([
            ("space", SpaceCatalog.Describe(supernet.Space)), ("method", $"{Options.Sampling} K={supernet.Weights.K}"),
            ("seed", Options.Seed.ToString(CultureInfo.InvariantCulture)), ("data size", train.Count.ToString(CultureInfo.InvariantCulture)),
            ("training options", Options.Fingerprint()), ("resumed step", step.ToString(CultureInfo.InvariantCulture)),
        ]);
        // Same start everywhere, whatever each rank's initialization was.
        parallel.BroadcastFromWriter(supernet.Parameters().Concat(supernet.Simplex?.Parameters() ?? []).ToArray(), "initial weights");
    }

    private static SupernetTrainingResult Result(long step, List<double> losses, Stopwatch clock, MomentumSeparation? ms, MomentumBuffers?[] clusters,
        bool completed, List<string> warnings, long? projected) =>
        new(step, losses, clock.Elapsed, ms?.Decisions ?? [], clusters.Sum(c => c?.ElementCount ?? 0), completed, warnings, projected);

    private (double Loss, double Accuracy, double Lr) Step(RunState state, int cluster, IReadOnlyList<Architecture> paths, long step, long scheduleStep,
        Tensor x, Tensor y)
    {
        var o = Options;
        var (supernet, _, sgd, parameters, clusters, _, _, calr, cosine, kshot) = state;
        double lr, lossSum = 0, accSum = 0;
        if (calr is null) lr = cosine.At(scheduleStep);
        else if (paths.Count == 1) lr = calr.LearningRate(paths[0], scheduleStep);
        else lr = o.LearningRate; // several paths share one step: CaLR scales each path's loss instead (reference code)
        sgd.ZeroGrad();
        foreach (var path in paths)
        {
            using var scope = TensorScope.Begin();
            using var mix = kshot?.MixFor(path, step); // K-shot: uniform during warm-up, the path's code after
            // The path's code is fixed for this step: its 1/sum(lambda^2) is read back once, not per shard.
            double? mergedStepScale = kshot is not null && o.KShot.StepRule == KShotStepRule.OneShot ? supernet.Weights.MergedStepScale() : null;
            // Data-parallel: this process's shard(s) of the global batch, each loss scaled so the summed gradients are the mean.
            var shards = Parallel?.ShardsOf(x, y) ?? [(x, y)];
            foreach (var (xs, ys) in shards)
            {
                var logits = supernet.Forward(xs, path);
                var loss = Functional.CrossEntropy(logits, ys, o.LabelSmoothing);
                var value = loss.ToDouble();
                if (!double.IsFinite(value)) throw Diverged(step, $"the loss is {value}");
                lossSum += value / shards.Count;
                accSum += Functional.Accuracy(logits, ys) / shards.Count;
                if (calr is not null && paths.Count > 1) loss = loss.Mul(calr.Factor(path, scheduleStep));
                if (mergedStepScale is { } scale) loss = loss.Mul(scale);
                if (Parallel is not null) loss = loss.Mul(Parallel.LossScale);
                loss.Backward();
            }
        }
        Parallel?.SumGradients(parameters, $"gradients of step {step}");
        // The norm is computed anyway (without clipping, a bound no norm reaches): a non-finite one stops before the update.
        var norm = Gradients.ClipByGlobalNorm(parameters, o.GradientClipNorm ?? double.MaxValue);
        if (!double.IsFinite(norm)) throw Diverged(step, $"the gradient norm is {norm}");
        if (o.Momentum != 0) clusters[cluster] ??= sgd.CreateBuffers();
        sgd.Step(lr, clusters[cluster]);
        return (lossSum / paths.Count, accSum / paths.Count, lr);
    }

    private DivergenceException Diverged(long step, string what) => new(step + 1, what, _lastGoodCheckpoint, _lastGoodStep);

    /// <summary>Saves, or reports divergence when the weights went non-finite (the file on disk then stays the last good one).</summary>
    private void SaveChecked(string path, Supernet supernet, MomentumBuffers?[] clusters, MomentumSeparation? ms, long step, CheckpointableRandom rng,
        KShotController? kshot)
    {
        try
        {
            Save(path, supernet, clusters, ms, step, rng, kshot);
        }
        catch (NonFiniteTensorException e)
        {
            throw new DivergenceException(step, $"the weights became non-finite ('{e.TensorName}')", _lastGoodCheckpoint, _lastGoodStep);
        }
        (_lastGoodCheckpoint, _lastGoodStep) = (path, step);
    }

    /// <summary>Writes a checkpoint at the current step (when the run has a checkpoint path) and says how to continue.</summary>
    private RunInterruptedException Interrupted(RunState state, long step, CheckpointableRandom rng, CancellationToken ct)
    {
        var path = Options.CheckpointPath;
        if (path is null) return new RunInterruptedException($"training interrupted at step {step}; no checkpoint path was set.", ct);
        if ((Parallel?.IsWriter ?? true) && (_lastGoodCheckpoint != path || _lastGoodStep != step))
            SaveChecked(path, state.Supernet, state.Clusters, state.Ms, step, rng, state.KShot);
        return new RunInterruptedException($"training interrupted at step {step}; checkpoint written to {path}; continue with --resume.", ct);
    }

    private void Save(string path, Supernet supernet, MomentumBuffers?[] clusters, MomentumSeparation? ms, long step, CheckpointableRandom rng,
        KShotController? kshot)
    {
        using var scope = TensorScope.Begin();
        var tensors = new Dictionary<string, Tensor>();
        if (kshot?.Buffers is { } simplexBuffers)
            for (var i = 0; i < simplexBuffers.Buffers.Count; i++) tensors[$"simplex_momentum/{i}"] = simplexBuffers.Buffers.Tensors[i];
        for (var c = 0; c < clusters.Length; c++)
            if (clusters[c] is { } set)
                for (var i = 0; i < set.Buffers.Count; i++) tensors[$"momentum/{c}/{i}"] = set.Buffers.Tensors[i];
        tensors["torch_rng"] = TorchRuntime.GetRngState();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["rng"] = string.Join(",", rng.State),
            ["ms_decisions"] = string.Join(",", ms?.Decisions ?? []),
            ["options"] = Options.Fingerprint(),
            ["config"] = _config.ToJson(),
        };
        kshot?.Save(tensors, metadata); // a simplex-net update may be half done
        SupernetFile.Save(path, supernet, tensors, metadata);
    }

    private (long Step, CheckpointableRandom Rng) Restore(string path, Supernet supernet, Sgd sgd, MomentumBuffers?[] clusters, MomentumSeparation? ms,
        KShotController? kshot)
    {
        using var file = SafeTensors.Load(path);
        var meta = file.Metadata;
        if (!meta.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException($"{path} is not a KShotNas supernet training checkpoint.");
        if (meta["space_config"] != SpaceCatalog.Describe(supernet.Space))
            throw new InvalidDataException($"{path} belongs to space '{meta["space_config"]}', not '{SpaceCatalog.Describe(supernet.Space)}'.");
        if (meta.TryGetValue("config", out var config)) RunConfiguration.FromJson(config).EnsureSameAs(_config, path);
        else if (meta["options"] != Options.Fingerprint())
            throw new InvalidDataException($"{path} was written with other training options; resume with the same options ({meta["options"]}).");
        if (meta["ms_decisions"] != string.Join(",", ms?.Decisions ?? []))
            throw new InvalidDataException($"{path} used MS decisions [{meta["ms_decisions"]}], this run draws [{string.Join(",", ms?.Decisions ?? [])}].");
        supernet.LoadStateDict(SupernetFile.Weights(file));
        if (kshot is not null)
        {
            supernet.Simplex!.LoadStateDict(file.Tensors.Where(kv => kv.Key.StartsWith(SupernetFile.SimplexPrefix))
                .ToDictionary(kv => kv.Key[SupernetFile.SimplexPrefix.Length..], kv => kv.Value));
            using var noGrad = NoGradScope.Begin();
            var buffers = kshot.Buffers!.Buffers.Tensors;
            for (var i = 0; i < buffers.Count; i++) buffers[i].CopyFrom(file.Tensors[$"simplex_momentum/{i}"]);
            kshot.Restore(file.Tensors, meta);
        }
        for (var c = 0; c < clusters.Length; c++)
        {
            if (!file.Tensors.ContainsKey($"momentum/{c}/0")) continue;
            clusters[c] = sgd.CreateBuffers();
            using var noGrad = NoGradScope.Begin();
            for (var i = 0; i < clusters[c]!.Buffers.Count; i++) clusters[c]!.Buffers.Tensors[i].CopyFrom(file.Tensors[$"momentum/{c}/{i}"]);
        }
        TorchRuntime.SetRngState(file.Tensors["torch_rng"]);
        var state = meta["rng"].Split(',').Select(s => ulong.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (long.Parse(meta["step"], CultureInfo.InvariantCulture), new CheckpointableRandom(state));
    }
}
