using KShotNas.Data;
using KShotNas.Evaluation;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Distributed;

namespace KShotNas.Distributed;

/// <summary>
/// Scores a list of architectures across the ranks of a process group: rank r scores the r-th contiguous slice,
/// the scores are all-gathered, and every rank returns the full list in the original order. Each architecture is
/// scored exactly as in one process (same batches, same statistics), so the scores equal single-process scores.
/// </summary>
public static class DistributedScoring
{
    /// <summary>Top-1 accuracy of each architecture, in order, computed in parallel over <paramref name="group"/> (null: this process alone).</summary>
    public static double[] Score(SupernetEvaluator evaluator, ProcessGroup? group, Supernet supernet, IReadOnlyList<Architecture> architectures,
        ImageDataset validation, ImageDataset? calibration = null, IProgress<ScoringProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (group is null || group.WorldSize == 1)
            return evaluator.Score(supernet, architectures, validation, calibration, progress, cancellationToken);
        var n = architectures.Count;
        var per = (n + group.WorldSize - 1) / group.WorldSize;
        var start = Math.Min(n, group.Rank * per);
        var count = Math.Min(per, n - start);
        var mine = count > 0
            ? evaluator.Score(supernet, architectures.Skip(start).Take(count).ToArray(), validation, calibration, progress, cancellationToken)
            : [];
        // Slices are padded to one length: all-gather needs the same shape on every rank.
        var padded = new double[Math.Max(1, per)];
        mine.CopyTo(padded, 0);
        using var scope = TensorScope.Begin();
        var all = group.AllGather(Tensor.FromArray(padded, [padded.Length]), $"scores of {n} architectures").ToArray<double>();
        var scores = new double[n];
        for (var i = 0; i < n; i++) scores[i] = all[i / per * padded.Length + i % per];
        return scores;
    }
}
