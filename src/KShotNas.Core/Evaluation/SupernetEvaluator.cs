using KShotNas.Data;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;

namespace KShotNas.Evaluation;

/// <summary>Options of <see cref="SupernetEvaluator"/>.</summary>
public sealed class SupernetEvaluatorOptions
{
    /// <summary>Evaluation batch size. With batch statistics, large batches matter (K-shot NAS uses 2048).</summary>
    public int BatchSize { get; set; } = 2048;
    /// <summary>Use at most this many validation batches per architecture (null: all).</summary>
    public int? MaxBatches { get; set; }
    /// <summary>Training batches used to recalibrate running statistics (recalibrated supernets only).</summary>
    public int RecalibrationBatches { get; set; } = 8;
    /// <summary>Batch size of recalibration.</summary>
    public int RecalibrationBatchSize { get; set; } = 256;
    /// <summary>
    /// Score with the native caching CPU allocator (on by default). It changes no number, only where activations' memory
    /// comes from (see <see cref="TorchRuntime.ConfigureCpuCache"/>). The cache stays on after scoring (capped at 1 GiB),
    /// because a search scores one candidate per call and an emptied cache would page-fault every call's activations
    /// again; <c>TorchRuntime.ConfigureCpuCache(false)</c> frees it.
    /// </summary>
    public bool CpuCache { get; set; } = true;
    /// <summary>
    /// Compute each evaluation batch in chunks of this many images (null, the default, or at least the batch size: one
    /// forward). Batch statistics stay those of the whole evaluation batch (<see cref="ChunkedBatchStatistics"/>), so
    /// scores equal one-batch scores. Chunks of 256 were the default while each 51 MiB activation of a 2,048-image batch
    /// was a fresh mapping; with the caching allocator and channels-last kernels one forward is as fast at one thread
    /// and 1.6x faster at two, with 490 against 447 MiB of tensors at the peak (docs/benchmarks.md).
    /// </summary>
    public int? ChunkSize { get; set; }
}

/// <summary>Progress of batched scoring.</summary>
public sealed record ScoringProgress(int Done, int Total);

/// <summary>
/// Accuracy of architectures with a supernet's shared weights on a validation split, with batch statistics
/// or with running statistics recalibrated per path; K-shot supernets evaluate each path with its own code. Validation batches are cut once and reused for every
/// architecture.
/// </summary>
public sealed class SupernetEvaluator : IDisposable
{
    // Chunk workers kept across calls (a search scores one candidate per call); stopped by Dispose or the finalizer.
    private ChunkedBatchStatistics? _workers;

    /// <summary>Creates an evaluator.</summary>
    public SupernetEvaluator(SupernetEvaluatorOptions? options = null) => Options = options ?? new SupernetEvaluatorOptions();

    /// <summary>The options.</summary>
    public SupernetEvaluatorOptions Options { get; }

    /// <summary>Stops the chunk worker threads (background threads: an evaluator not disposed does not keep the process alive).</summary>
    public void Dispose()
    {
        _workers?.Dispose();
        _workers = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Lets the worker threads end when an evaluator is dropped without Dispose.</summary>
    ~SupernetEvaluator() => _workers?.Stop();

    /// <summary>Top-1 accuracy of each architecture, in order.</summary>
    public double[] Score(Supernet supernet, IReadOnlyList<Architecture> architectures, ImageDataset validation, ImageDataset? calibration = null,
        IProgress<ScoringProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (supernet.Norms.Mode == SupernetNorm.Recalibrated && calibration is null)
            throw new ArgumentException("A recalibrated supernet needs calibration (training) data.");
        var batches = new List<(Tensor X, Tensor Y)>();
        var calib = new List<Tensor>();
        if (Options.CpuCache) TorchRuntime.ConfigureCpuCache(true);
        try
        {
            foreach (var b in validation.Batches(Options.BatchSize))
            {
                if (Options.MaxBatches is { } m && batches.Count >= m) { b.Images.Dispose(); b.Labels.Dispose(); break; }
                batches.Add((b.Images.DetachFromScope(), b.Labels.DetachFromScope()));
            }
            var seen = batches.Sum(b => (long)b.Y.Size(0));
            if (calibration is not null && supernet.Norms.Mode == SupernetNorm.Recalibrated)
                foreach (var b in calibration.Batches(Options.RecalibrationBatchSize, shuffleSeed: 0).Take(Options.RecalibrationBatches))
                {
                    b.Labels.Dispose();
                    calib.Add(b.Images.DetachFromScope());
                }
            var scores = new double[architectures.Count];
            ChunkedBatchStatistics? chunked = null;
            if (Options.ChunkSize is { } chunk && chunk > 0 && batches.Count > 0 && batches.Max(b => b.Y.Size(0)) > chunk)
            {
                var needed = (int)((batches.Max(b => b.Y.Size(0)) + chunk - 1) / chunk);
                if (_workers is null || _workers.MaxChunks < needed)
                {
                    _workers?.Dispose();
                    _workers = new ChunkedBatchStatistics(needed);
                }
                chunked = _workers;
            }
            var wasTraining = supernet.IsTraining;
            supernet.Eval();
            using var noGrad = NoGradScope.Begin();
            for (var i = 0; i < architectures.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var a = architectures[i];
                using var code = supernet.UseCodeOf(a); // K-shot: the path's own code mixes the weights
                if (calib.Count > 0)
                    supernet.NormsFor(a).Recalibrate(calib.Count, t =>
                    {
                        using var s = TensorScope.Begin();
                        supernet.Forward(calib[t], a);
                    });
                long correct = 0;
                foreach (var (x, y) in batches) correct += Correct(supernet, a, x, y, chunked);
                scores[i] = (double)correct / seen;
                if (calib.Count > 0) supernet.NormsFor(a).UseBatchStatistics();
                progress?.Report(new ScoringProgress(i + 1, architectures.Count));
            }
            supernet.Train(wasTraining);
            return scores;
        }
        finally
        {
            foreach (var (x, y) in batches) { x.Dispose(); y.Dispose(); }
            foreach (var c in calib) c.Dispose();
        }
    }

    /// <summary>Correct predictions of <paramref name="a"/> on one evaluation batch (chunked, see <see cref="SupernetEvaluatorOptions.ChunkSize"/>).</summary>
    private long Correct(Supernet supernet, Architecture a, Tensor x, Tensor y, ChunkedBatchStatistics? chunked)
    {
        var n = x.Size(0);
        if (chunked is null || Options.ChunkSize is not { } chunk || chunk >= n)
        {
            using var s = TensorScope.Begin();
            return supernet.Forward(x, a).ArgMax(1).Eq(y).Sum().ToInt64();
        }
        var chunks = (int)((n + chunk - 1) / chunk);
        return chunked.Run(chunks, i =>
        {
            var start = (long)i * chunk;
            var len = Math.Min(chunk, n - start);
            return supernet.Forward(x.Narrow(0, start, len), a).ArgMax(1).Eq(y.Narrow(0, start, len)).Sum().ToInt64();
        }).Sum();
    }
}
