using KShotNas.Data;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Training;

namespace KShotNas.Methods;

/// <summary>
/// Few-shot NAS: one sub-supernet per option of <see cref="SplitDecision"/>, each trained in turn with that option fixed and
/// <see cref="Sampling"/> otherwise; an architecture is scored on the sub-supernet matching its option.
/// </summary>
public sealed class FewShotMethod(int splitDecision, PathSampling sampling = PathSampling.FairNas) : SupernetMethod
{
    /// <summary>The decision the supernet is split on (NB201: edge 1&lt;-0 is 0).</summary>
    public int SplitDecision { get; } = splitDecision >= 0 ? splitDecision
        : throw new ArgumentOutOfRangeException(nameof(splitDecision), splitDecision, "The split decision is an index, 0 or more.");

    /// <inheritdoc />
    public override string Name => $"fewshot:{SplitDecision}:{SamplingName(sampling)}";
    /// <inheritdoc />
    public override PathSampling Sampling => sampling;

    /// <inheritdoc />
    public override void Validate(SupernetTrainerOptions options)
    {
        base.Validate(options);
        Of(sampling).Validate(options);
    }

    /// <inheritdoc />
    public override Supernet Build(SearchSpace space, SupernetNorm norm = SupernetNorm.BatchStatistics)
    {
        if (SplitDecision >= space.Decisions.Count)
            throw new ArgumentOutOfRangeException(nameof(space), SplitDecision, $"Few-shot split decision {SplitDecision} is not a decision of {space.Name} "
                                                                                 + $"(0 to {space.Decisions.Count - 1}).");
        return SupernetFile.Create(space, 1, norm, SplitDecision);
    }

    /// <summary>
    /// Trains each sub-supernet in turn with the whole schedule (as the seeds do); a time limit is shared equally between
    /// them. Returns the last sub-supernet's result with the steps and losses of all.
    /// </summary>
    public override SupernetTrainingResult Train(Supernet supernet, IImageBatches train, SupernetTrainerOptions options,
        IProgress<SupernetProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (supernet is not FewShotSupernet few) throw new ArgumentException("Few-shot training needs the supernet FewShotMethod.Build made.", nameof(supernet));
        var configured = Configure(options);
        if (configured.TimeLimit is { } limit)
        {
            configured.TimeLimit = limit / few.SubSupernets.Count;
            if (configured.Steps is { } steps) configured.Steps = Math.Max(1, steps / few.SubSupernets.Count); // the schedules' scale per sub-supernet
            if (configured.MinimumProjectedSteps is { } minimum) configured.MinimumProjectedSteps = minimum / few.SubSupernets.Count;
        }
        var results = new FewShotTrainer(configured).Fit(few, train,
            progress: progress is null ? null : new SyncProgress<(int Sub, SupernetProgress P)>(r => progress.Report(r.P)), cancellationToken: cancellationToken);
        var last = results[^1];
        return last with
        {
            Steps = results.Sum(r => r.Steps), StepLosses = results.SelectMany(r => r.StepLosses).ToList(),
            Duration = TimeSpan.FromTicks(results.Sum(r => r.Duration.Ticks)), Warnings = results.SelectMany(r => r.Warnings ?? []).ToList(),
            ProjectedSteps = last.ProjectedSteps * few.SubSupernets.Count,
        };
    }
}
