using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

/// <summary>
/// Runs one forward pass over a large batch as several chunks while every batch norm still normalizes with the
/// statistics of the whole batch (exact batch statistics, chunked compute). Each chunk's forward runs on its own
/// thread, in lockstep and one at a time (a baton passed 0, 1, ..., n-1, 0, ...): at every batch-norm site a chunk
/// contributes its per-channel count, mean and biased variance, hands the baton on and waits; the last chunk combines
/// them (Chan et al.'s parallel formula, in double) into the batch's mean and variance; then every chunk normalizes
/// with them (batch norm with given statistics, the shim's one-pass kernel, same formula as training mode: (x - mean) /
/// sqrt(var + eps)) and runs on to the next site. Only one chunk computes at a time, so libtorch's thread setting holds.
/// Chunks keep each activation small (256 images of 28x28x8 are 6.4 MiB); they were the evaluator's default until the
/// caching allocator and channels-last kernels made one 2,048-image forward as fast (docs/benchmarks.md).
/// <see cref="NormSites"/> routes batch-statistics normalization here while a chunk runs (<see cref="Current"/>).
/// </summary>
public sealed class ChunkedBatchStatistics : IDisposable
{
    /// <summary>libtorch's default batch-norm epsilon, as <see cref="Functional.BatchNorm"/> uses it.</summary>
    public const double Eps = 1e-5;

    [ThreadStatic] private static ChunkedBatchStatistics? t_current;
    [ThreadStatic] private static int t_index;

    private readonly int _n;
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly Baton[] _turn;
    private readonly CountdownEvent _done;
    private readonly Exception?[] _errors;
    private Action<int>? _job;
    private int _chunks;
    private volatile bool _aborted, _disposed;
    // The combined statistics of the site being gathered (touched only by the chunk holding the baton).
    private long _count;
    private double[] _mean = [], _m2 = [];
    // The statistics every chunk normalizes with at the current site; replaced by the last chunk at the next site.
    private Tensor? _batchMean, _batchVar;

    /// <summary>
    /// Starts <paramref name="maxChunks"/> worker threads, kept for every <see cref="Run{T}"/> until disposed (threads
    /// started per pass cost libtorch's and oneDNN's per-thread set-up every time: that was slower than one batch).
    /// </summary>
    public ChunkedBatchStatistics(int maxChunks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunks, 1);
        _n = maxChunks;
        _start = Enumerable.Range(0, _n).Select(_ => new SemaphoreSlim(0)).ToArray();
        _turn = Enumerable.Range(0, _n).Select(_ => new Baton()).ToArray();
        _done = new CountdownEvent(0);
        _errors = new Exception?[_n];
        _threads = new Thread[_n];
        for (var i = 0; i < _n; i++)
        {
            var index = i;
            _threads[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"chunk {index}" };
            _threads[i].Start();
        }
    }

    /// <summary>The number of worker threads (the most chunks one pass may have).</summary>
    public int MaxChunks => _n;

    /// <summary>The coordinator of the chunk running on this thread, or null outside a chunked pass.</summary>
    internal static ChunkedBatchStatistics? Current => t_current;

    /// <summary>
    /// Runs <paramref name="chunk"/>(i) for i = 0..<paramref name="chunks"/>-1, each on its worker thread with gradients
    /// off and its own tensor scope, one at a time, with shared batch statistics at every batch-norm site; returns the
    /// results in order. Every chunk must run the same sequence of batch-norm sites (the same architecture). An exception
    /// in one chunk stops them all and is rethrown here.
    /// </summary>
    public T[] Run<T>(int chunks, Func<int, T> chunk)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunks, _n);
        var results = new T[chunks];
        _chunks = chunks;
        _aborted = false;
        Array.Clear(_errors);
        foreach (var t in _turn) t.Clear();
        _job = i => results[i] = chunk(i);
        _done.Reset(chunks);
        _turn[0].Release();
        for (var i = 0; i < chunks; i++) _start[i].Release();
        _done.Wait();
        _job = null;
        _batchMean?.Dispose();
        _batchVar?.Dispose();
        _batchMean = _batchVar = null;
        var first = _errors.FirstOrDefault(e => e is not null and not ChunkAbortedException) ?? _errors.FirstOrDefault(e => e is not null);
        if (first is not null) throw first is ChunkAbortedException ? new InvalidOperationException("A chunk stopped.", first) : first;
        return results;
    }

    /// <summary>Stops the worker threads and waits for them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Stop();
        foreach (var t in _threads) t.Join();
    }

    /// <summary>Tells the worker threads to end, without waiting (for finalizers).</summary>
    public void Stop()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _start) s.Release();
    }

    private void Loop(int index)
    {
        t_current = this;
        t_index = index;
        while (true)
        {
            _start[index].Wait();
            if (_disposed) return;
            try
            {
                Wait(index);
                using (NoGradScope.Begin())
                using (TensorScope.Begin())
                    _job!(index);
                Pass(index);
            }
            catch (Exception e)
            {
                _errors[index] = e;
                if (e is not ChunkAbortedException) Abort();
            }
            finally
            {
                _done.Signal();
            }
        }
    }

    private void Wait(int index)
    {
        _turn[index].Wait();
        if (_aborted) throw new ChunkAbortedException();
    }

    private void Pass(int index) => _turn[(index + 1) % _chunks].Release();

    private void Abort()
    {
        _aborted = true;
        for (var i = 0; i < _chunks; i++) _turn[i].Open();
    }

    /// <summary>Normalizes this chunk's <paramref name="x"/> [N, C, ...] with the whole batch's per-channel statistics.</summary>
    internal Tensor Normalize(Tensor x)
    {
        var index = t_index;
        var channels = (int)x.Size(1);
        long count = x.Shape.Aggregate(1L, (a, b) => a * b) / channels;
        // One native call (the kernel batch norm with batch statistics uses); libtorch's Var over [0, 2, 3] took 8.5 ms
        // on a 256 x 8 x 28 x 28 chunk.
        var (mean, var) = Functional.ChannelMoments(x); // var is biased: m2 = var * count
        if (index == 0)
        {
            _count = 0;
            _mean = new double[channels];
            _m2 = new double[channels];
        }
        // Chan et al.: merge (count, mean, m2) of this chunk into the running combination.
        var total = _count + count;
        for (var c = 0; c < channels; c++)
        {
            var delta = mean[c] - _mean[c];
            _mean[c] += delta * count / total;
            _m2[c] += var[c] * count + delta * delta * _count * count / total;
        }
        _count = total;
        if (index == _chunks - 1)
        {
            _batchMean?.Dispose();
            _batchVar?.Dispose();
            _batchMean = Tensor.FromArray(_mean.Select(m => (float)m).ToArray()).DetachFromScope();
            _batchVar = Tensor.FromArray(_m2.Select(m => (float)(m / _count)).ToArray()).DetachFromScope();
        }
        Pass(index);
        Wait(index); // every chunk has contributed; the last one set the batch's statistics
        return Functional.BatchNorm(x, _batchMean, _batchVar, null, null, training: false, eps: Eps);
    }

    /// <summary>
    /// A blocking hand-over with no spinning: SemaphoreSlim spins and yields before it sleeps, which on a loaded 2-core
    /// machine took the core from the chunk holding the baton.
    /// </summary>
    private sealed class Baton
    {
        private bool _set, _open;

        public void Wait()
        {
            lock (this)
            {
                while (!_set && !_open) Monitor.Wait(this);
                _set = false;
            }
        }

        /// <summary>Lets every later <see cref="Wait"/> through (a chunk failed) until <see cref="Clear"/>.</summary>
        public void Open()
        {
            lock (this)
            {
                _open = true;
                Monitor.PulseAll(this);
            }
        }

        public void Release()
        {
            lock (this)
            {
                _set = true;
                Monitor.Pulse(this);
            }
        }

        public void Clear()
        {
            lock (this) _set = _open = false;
        }
    }

    private sealed class ChunkAbortedException() : OperationCanceledException("Another chunk failed.");
}
