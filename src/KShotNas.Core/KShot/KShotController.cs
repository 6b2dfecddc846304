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
/// with lambda = 1/K; afterwards steps alternate between supernet steps (each path mixed by its own code, computed
/// without gradient to the simplex-net) and simplex-net steps (m paths on m slices of the batch, supernets frozen).
/// </summary>
internal sealed class KShotController : IDisposable
{
    private readonly Supernet _supernet;
    private readonly SimplexNet _simplex;
    private readonly KShotOptions _options;
    private readonly PathSampler _sampler;
    private readonly long _warmupSteps;
    private readonly Sgd _sgd;
    private readonly WidthRegularizer? _width;
    private readonly ParameterList _simplexParameters;

    public KShotController(Supernet supernet, KShotOptions options, PathSampler sampler, long warmupSteps)
    {
        _supernet = supernet;
        _simplex = supernet.Simplex ?? throw new ArgumentException($"A K-shot supernet (K = {supernet.Weights.K}) needs a simplex-net (Supernet.Simplex).");
        if (options.SimplexPaths < 1) throw new ArgumentOutOfRangeException(nameof(options), "SimplexPaths must be at least 1.");
        _options = options;
        _sampler = sampler;
        _warmupSteps = warmupSteps;
        _simplexParameters = new ParameterList(_simplex.Parameters());
        _sgd = new Sgd(_simplex.Parameters(), new SgdOptions { LearningRate = options.SimplexLearningRate, Momentum = options.SimplexMomentum });
        _width = WidthRegularizer.For(supernet.Space);
    }

    public MomentumBuffers? Buffers => _sgd.DefaultBuffers;

    /// <summary>After warm-up, every second step trains the simplex-net.</summary>
    public bool IsSimplexStep(long step) => step >= _warmupSteps && (step - _warmupSteps) % 2 == 1;

    /// <summary>The weight mixing of a supernet step's path: uniform during warm-up, the path's own code after.</summary>
    public IDisposable MixFor(Architecture path, long step) => step < _warmupSteps ? NoMix.Instance : _supernet.UseCodeOf(path);

    /// <summary>
    /// One simplex-net step on the batch; returns (loss, accuracy) of its paths. Data-parallel: every rank gets the
    /// whole global batch, runs the paths i with i mod W = rank on their slices, and the gradients are summed.
    /// </summary>
    public (double Loss, double Accuracy) SimplexStep(Tensor x, Tensor y, Random rng, double labelSmoothing, DataParallel? parallel = null)
    {
        var group = parallel?.Group;
        var m = _options.SimplexPaths;
        var slice = x.Size(0) / m;
        if (slice < 1) throw new ArgumentException($"A batch of {x.Size(0)} cannot give {m} paths a slice each; lower SimplexPaths or raise the batch.");
        var weights = _supernet.Weights.Parameters();
        foreach (var w in weights) w.RequiresGrad = false; // supernets frozen: gradients reach only the simplex-net
        try
        {
            using var scope = TensorScope.Begin();
            var paths = Enumerable.Range(0, m).Select(_ => _sampler.Next(rng)[0]).ToArray();
            var codes = _simplex.Forward(_simplex.Encode(paths));
            Tensor? total = null;
            double accuracy = 0;
            var local = 0; // paths this rank ran (all m in one process)
            for (var i = 0; i < m; i++)
            {
                if (group is not null && i % group.WorldSize != group.Rank) continue;
                local++;
                _supernet.Weights.Mixing = codes.Narrow(0, i, 1).Reshape(_supernet.Weights.K);
                var yi = y.Narrow(0, i * slice, slice);
                var logits = _supernet.Forward(x.Narrow(0, i * slice, slice), paths[i]);
                var loss = Functional.CrossEntropy(logits, yi, labelSmoothing);
                accuracy += Functional.Accuracy(logits, yi);
                total = total is null ? loss : total + loss;
            }
            var objective = total!.Div(m);
            var ceLoss = total.ToDouble() / local; // reported: mean over this rank's paths
            if (_width is not null && _options.WidthRegularization > 0 && (group is null || group.Rank == 0))
                objective = objective + _width.Term(codes, paths).Mul(_options.WidthRegularization);
            _sgd.ZeroGrad();
            objective.Backward();
            group?.AllReduceGradients(_simplexParameters, average: false, "simplex-net gradients");
            _sgd.Step();
            return (ceLoss, accuracy / local);
        }
        finally
        {
            _supernet.Weights.Mixing = null;
            foreach (var w in weights) w.RequiresGrad = true;
        }
    }

    public void Dispose() => _sgd.Dispose();

    private sealed class NoMix : IDisposable
    {
        public static readonly NoMix Instance = new();
        public void Dispose() { }
    }
}
