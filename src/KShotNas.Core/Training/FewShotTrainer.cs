using KShotNas.Data;
using KShotNas.Supernets;

namespace KShotNas.Training;

/// <summary>
/// Trains a <see cref="FewShotSupernet"/>: each sub-supernet in turn, with its split-decision option fixed and
/// the same options otherwise (so every sub-supernet gets the full schedule: the seeds train each for as long
/// as a one-shot supernet). Each sub-supernet checkpoints to "&lt;checkpoint&gt;.sub&lt;i&gt;"; a resumed run
/// continues the sub-supernets from their own checkpoints.
/// </summary>
public sealed class FewShotTrainer
{
    /// <summary>Creates the trainer with the options every sub-supernet uses.</summary>
    public FewShotTrainer(SupernetTrainerOptions options) => Options = options;

    /// <summary>The shared options.</summary>
    public SupernetTrainerOptions Options { get; }

    /// <summary>Data-parallel training across processes, for every sub-supernet (null: one process).</summary>
    public Distributed.DataParallel? Parallel { get; init; }

    /// <summary>Trains every sub-supernet; <paramref name="transferFrom"/>, when given, initializes them all first (weight transfer).</summary>
    public IReadOnlyList<SupernetTrainingResult> Fit(FewShotSupernet supernet, IImageBatches train, Supernet? transferFrom = null,
        IProgress<(int SubSupernet, SupernetProgress Progress)>? progress = null, CancellationToken cancellationToken = default, bool resume = false)
    {
        // Transfer always: a resumed sub-supernet overwrites it from its own checkpoint, and one that had not started
        // when the run was cut off must still begin from the one-shot weights.
        if (transferFrom is not null) supernet.TransferFrom(transferFrom);
        var results = new List<SupernetTrainingResult>();
        for (var i = 0; i < supernet.SubSupernets.Count; i++)
        {
            var o = Options.Clone();
            var fixedDecisions = new Dictionary<int, int>(Options.FixedDecisions ?? new Dictionary<int, int>()) { [supernet.SplitDecision] = i };
            o.FixedDecisions = fixedDecisions;
            o.CheckpointPath = Options.CheckpointPath is null ? null : $"{Options.CheckpointPath}.sub{i}";
            var resumeFrom = resume && o.CheckpointPath is not null && File.Exists(o.CheckpointPath) ? o.CheckpointPath : null;
            var sub = i;
            var reporter = progress is null ? null : new SyncProgress<SupernetProgress>(p => progress.Report((sub, p)));
            var result = new SupernetTrainer(o) { Parallel = Parallel }.Fit(supernet.SubSupernets[i], train, reporter, cancellationToken, resumeFrom);
            results.Add(result);
            if (!result.Completed) break;
        }
        return results;
    }
}
