using System.Globalization;
using KShotNas.Distributed;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;
using KShotNas.Training;

namespace KShotNas.KShot;

/// <summary>
/// The seeds' Algorithm 2 inside <see cref="SupernetTrainer"/>: during warm-up every path mixes the K supernets
/// with lambda = 1/K; afterwards supernet phases (each path mixed by its own code, computed without gradient to the
/// simplex-net) alternate with simplex-net phases (m paths, each on its own group of images, supernets frozen, one
/// simplex-net update per phase). A phase is B = m / (batch / group) batches, so with group = batch / m (B = 1) the
/// kinds alternate every step, and with the seeds' 64 images per path at batch 64 one update spans m batches.
/// </summary>
internal sealed class KShotController : IDisposable
{
    private const int ProbePaths = 256;
    private readonly Supernet _supernet;
    private readonly SimplexNet _simplex;
    private readonly KShotOptions _options;
    private readonly PathSampler _sampler;
    private readonly long _warmupSteps;
    private readonly int _group, _groupsPerBatch, _phase;
    private readonly Sgd _sgd;
    private readonly WidthRegularizer? _width;
    private readonly Architecture[] _probe;
    // Pending simplex-net update: its m paths, dLoss/dlambda of each path so far ([m, K], divided by m), groups done.
    private Architecture[]? _paths;
    private float[] _codeGrads = [];
    private int _groupsDone;

    public KShotController(Supernet supernet, KShotOptions options, PathSampler sampler, long warmupSteps, int batchSize)
    {
        _supernet = supernet;
        _simplex = supernet.Simplex ?? throw new ArgumentException($"A K-shot supernet (K = {supernet.Weights.K}) needs a simplex-net (Supernet.Simplex).");
        if (options.SimplexPaths < 1) throw new ArgumentOutOfRangeException(nameof(options), "SimplexPaths must be at least 1.");
        if (options.SimplexGroupSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "SimplexGroupSize must be at least 1.");
        _group = options.GroupSizeFor(batchSize);
        if (batchSize % _group != 0)
            throw new ArgumentException($"A simplex-net group of {_group} images does not divide the batch of {batchSize}; choose a group size that divides it.");
        _groupsPerBatch = batchSize / _group;
        if (options.SimplexPaths % _groupsPerBatch != 0)
            throw new ArgumentException($"A batch of {batchSize} holds {_groupsPerBatch} groups of {_group} images, which does not divide the "
                                        + $"{options.SimplexPaths} paths of a simplex-net update; change SimplexPaths or SimplexGroupSize.");
        _phase = options.SimplexPaths / _groupsPerBatch;
        _options = options;
        _sampler = sampler;
        _warmupSteps = warmupSteps;
        _sgd = new Sgd(_simplex.Parameters(), new SgdOptions { LearningRate = options.SimplexLearningRate, Momentum = options.SimplexMomentum });
        _width = WidthRegularizer.For(supernet.Space);
        var probeRng = new CheckpointableRandom(0x5EED); // its own stream: checking codes never changes training
        _probe = Enumerable.Range(0, ProbePaths).Select(_ => sampler.Next(probeRng)[0]).ToArray();
    }

    public MomentumBuffers? Buffers => _sgd.DefaultBuffers;

    /// <summary>Batches per phase (B).</summary>
    public int PhaseLength => _phase;

    /// <summary>Images per path in a simplex-net update.</summary>
    public int GroupSize => _group;

    /// <summary>After warm-up, the second half of every 2B-step cycle trains the simplex-net.</summary>
    public bool IsSimplexStep(long step) => step >= _warmupSteps && (step - _warmupSteps) % (2 * _phase) >= _phase;

    /// <summary>Whether steps with codes have run before <paramref name="step"/> (warm-up is over and at least one step followed).</summary>
    public bool WarmedUp(long step) => step > _warmupSteps;

    /// <summary>The weight mixing of a supernet step's path: uniform during warm-up, the path's own code after.</summary>
    public IDisposable MixFor(Architecture path, long step) => step < _warmupSteps ? NoMix.Instance : _supernet.UseCodeOf(path);

    /// <summary>The codes of a fixed probe set of paths (collapse check; no effect on training).</summary>
    public CodeReport ProbeCodes() => new(_simplex, _probe);

    /// <summary>
    /// One batch of a simplex-net phase: its groups' paths run with their codes as leaves, and dLoss/dlambda is kept
    /// per path; the batch that completes the m paths back-propagates those into the simplex-net (with r_c) and
    /// steps it. Returns (loss, accuracy) of this batch's paths. Data-parallel: every rank gets the whole global
    /// batch and runs the groups i with i mod W = rank; the batch's dLoss/dlambda rows are summed across ranks (each
    /// row comes from one rank), so every rank holds all of them, updates the simplex-net identically, and rank 0's
    /// checkpoint of a half-done update is complete.
    /// </summary>
    public (double Loss, double Accuracy) SimplexStep(Tensor x, Tensor y, Random rng, double labelSmoothing, DataParallel? parallel = null)
    {
        var group = parallel?.Group;
        var m = _options.SimplexPaths;
        var k = _supernet.Weights.K;
        if (_paths is null)
        {
            _paths = Enumerable.Range(0, m).Select(_ => _sampler.Next(rng)[0]).ToArray();
            _codeGrads = new float[m * k];
            _groupsDone = 0;
        }
        var weights = _supernet.Weights.Parameters();
        foreach (var w in weights) w.RequiresGrad = false; // supernets frozen: gradients reach only the codes
        double lossSum = 0, accuracy = 0;
        var local = 0; // groups this rank ran (all of them in one process)
        try
        {
            using var scope = TensorScope.Begin();
            float[][] codes;
            using (NoGradScope.Begin()) codes = _simplex.CodeValues(_paths.Skip(_groupsDone).Take(_groupsPerBatch).ToArray());
            for (var g = 0; g < _groupsPerBatch; g++)
            {
                var i = _groupsDone + g;
                if (group is not null && i % group.WorldSize != group.Rank) continue;
                local++;
                var lambda = Tensor.FromArray(codes[g]).WithRequiresGrad();
                _supernet.Weights.Mixing = lambda;
                var yi = y.Narrow(0, g * _group, _group);
                var logits = _supernet.Forward(x.Narrow(0, g * _group, _group), _paths[i]);
                var loss = Functional.CrossEntropy(logits, yi, labelSmoothing);
                lossSum += loss.ToDouble();
                accuracy += Functional.Accuracy(logits, yi);
                loss.Div(m).Backward();
                lambda.Grad!.ToArray<float>().CopyTo(_codeGrads, i * k);
            }
        }
        finally
        {
            _supernet.Weights.Mixing = null;
            foreach (var w in weights) w.RequiresGrad = true;
        }
        if (group is not null)
        {
            using var rows = Tensor.FromSpan<float>(_codeGrads.AsSpan(_groupsDone * k, _groupsPerBatch * k), [_groupsPerBatch * k]);
            group.AllReduce([rows], average: false, "simplex-net code gradients");
            rows.ToArray<float>().CopyTo(_codeGrads, _groupsDone * k);
        }
        _groupsDone += _groupsPerBatch;
        if (_groupsDone == m) Update();
        return (lossSum / Math.Max(1, local), accuracy / Math.Max(1, local));
    }

    /// <summary>
    /// The simplex-net update: the loss depends on the simplex-net only through the codes, so back-propagating
    /// sum_i (dL/dlambda_i) . lambda_i(sigma) (plus a * r_c) gives exactly the gradient of the phase's mean loss.
    /// </summary>
    private void Update()
    {
        using var scope = TensorScope.Begin();
        var m = _options.SimplexPaths;
        var codes = _simplex.Forward(_simplex.Encode(_paths!));
        var objective = codes.Mul(Tensor.FromSpan<float>(_codeGrads, [m, _supernet.Weights.K])).Sum();
        if (_width is not null && _options.WidthRegularization > 0)
            objective = objective + _width.Term(codes, _paths!).Mul(_options.WidthRegularization);
        _sgd.ZeroGrad();
        objective.Backward();
        _sgd.Step();
        _paths = null;
    }

    /// <summary>Adds a pending (half-done) simplex-net update to a checkpoint.</summary>
    public void Save(IDictionary<string, Tensor> tensors, IDictionary<string, string> metadata)
    {
        if (_paths is null) return;
        metadata["simplex_pending_paths"] = string.Join(";", _paths.Select(a => _supernet.Space.Format(a)));
        metadata["simplex_pending_groups"] = _groupsDone.ToString(CultureInfo.InvariantCulture);
        tensors["simplex_pending_grads"] = Tensor.FromSpan<float>(_codeGrads, [_codeGrads.Length]);
    }

    /// <summary>Restores a pending simplex-net update saved by <see cref="Save"/> (none when the checkpoint holds none).</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        _paths = null;
        if (!metadata.TryGetValue("simplex_pending_paths", out var paths)) return;
        _paths = paths.Split(';').Select(_supernet.Space.Parse).ToArray();
        _groupsDone = int.Parse(metadata["simplex_pending_groups"], CultureInfo.InvariantCulture);
        _codeGrads = tensors["simplex_pending_grads"].ToArray<float>();
    }

    public void Dispose() => _sgd.Dispose();

    private sealed class NoMix : IDisposable
    {
        public static readonly NoMix Instance = new();
        public void Dispose() { }
    }
}
