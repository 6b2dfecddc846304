using KShotNas.Data;
using KShotNas.Distributed;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch.Distributed;

namespace KShotNas.Evaluation;

/// <summary>
/// A supernet (one-shot, few-shot or K-shot) as a search evaluator: accuracy with the shared weights on a
/// validation split (each K-shot path with its own code), FLOPs and params from the space's profiler.
/// Scores are cached, so a strategy that revisits a candidate costs nothing.
/// </summary>
public sealed class SupernetScorer : IArchitectureEvaluator
{
    private readonly Supernet _supernet;
    private readonly ImageDataset _validation;
    private readonly ImageDataset? _calibration;
    private readonly SupernetEvaluator _evaluator;
    private readonly Dictionary<Architecture, double> _cache = new();
    private readonly ProcessGroup? _group;

    /// <summary>
    /// Creates the scorer; the datasets stay owned by the caller. With a <paramref name="group"/>, each batch of
    /// candidates is scored across its ranks (every rank must ask for the same candidates, as a search with the same seed does).
    /// </summary>
    public SupernetScorer(Supernet supernet, ImageDataset validation, ImageDataset? calibration = null, SupernetEvaluatorOptions? options = null,
        ProcessGroup? group = null)
    {
        _group = group;
        _supernet = supernet;
        _validation = validation;
        _calibration = calibration;
        _evaluator = new SupernetEvaluator(options);
    }

    /// <inheritdoc />
    public IReadOnlyList<Search.Evaluation> Evaluate(IReadOnlyList<Architecture> architectures, CancellationToken cancellationToken = default)
    {
        var missing = architectures.Where(a => !_cache.ContainsKey(a)).Distinct().ToList();
        if (missing.Count > 0)
        {
            var scores = DistributedScoring.Score(_evaluator, _group, _supernet, missing, _validation, _calibration, cancellationToken: cancellationToken);
            for (var i = 0; i < missing.Count; i++) _cache[missing[i]] = scores[i];
        }
        return architectures.Select(a =>
        {
            var p = _supernet.Space.Profile(a);
            return new Search.Evaluation(_cache[a], p.Flops, p.Params);
        }).ToArray();
    }
}
