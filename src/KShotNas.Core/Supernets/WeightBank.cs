using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

/// <summary>
/// Every shared weight of a supernet, stored once per slot. With K = 1 a slot is one plain parameter (one-shot
/// training, no overhead). With K &gt; 1 a slot is one parameter of shape [K, ...] holding K independently
/// initialized copies, and <see cref="Resolve"/> mixes them as sum_k lambda_k theta^k in a single matrix product,
/// only for the slots a path uses; gradients flow to every copy and to the code.
/// </summary>
public sealed class WeightBank : Module
{
    private readonly List<(Tensor Parameter, long[] Shape)> _slots = new();
    private readonly List<string> _names = new();
    private Tensor? _mixing;

    /// <summary>Creates an empty bank of <paramref name="k"/> copies.</summary>
    public WeightBank(int k = 1)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "K must be at least 1.");
        K = k;
    }

    /// <summary>Number of copies of every weight (K-shot's K).</summary>
    public int K { get; }

    /// <summary>Number of slots.</summary>
    public int Count => _slots.Count;

    /// <summary>Slot names, by slot id.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Adds a slot of the given shape; <paramref name="init"/> runs once per copy.</summary>
    public int Add(string name, long[] shape, Action<Tensor> init)
    {
        Tensor parameter;
        if (K == 1)
        {
            parameter = Tensor.Empty(shape).DetachFromScope();
            init(parameter);
        }
        else
        {
            parameter = Tensor.Empty([K, .. shape]).DetachFromScope();
            using var scope = TensorScope.Begin();
            for (var k = 0; k < K; k++) init(parameter.Narrow(0, k, 1).Reshape(shape));
        }
        _slots.Add((RegisterParameter(name, parameter), shape));
        _names.Add(name);
        return _slots.Count - 1;
    }

    /// <summary>Adds a convolution weight [out, in/groups, k, k] with PyTorch's default initialization.</summary>
    public int AddConv(string name, int inChannels, int outChannels, int kernel, int groups = 1) =>
        Add(name, [outChannels, inChannels / groups, kernel, kernel], t => Init.DefaultLayer(t, null));

    /// <summary>Adds a linear layer's weight and bias slots with PyTorch's default initialization.</summary>
    public (int Weight, int Bias) AddLinear(string name, int inFeatures, int outFeatures)
    {
        var bound = 1 / Math.Sqrt(inFeatures);
        return (Add(name + "/weight", [outFeatures, inFeatures], t => Init.DefaultLayer(t, null)),
            Add(name + "/bias", [outFeatures], t => Init.Uniform(t, -bound, bound)));
    }

    /// <summary>The parameter behind a slot: the weight itself when K = 1, the [K, ...] stack otherwise.</summary>
    public Tensor Parameter(int slot) => _slots[slot].Parameter;

    /// <summary>
    /// Copy <paramref name="k"/> of a slot: the parameter itself when K = 1, else a view into the stack (owned by the
    /// caller's scope; writing into it writes the copy).
    /// </summary>
    public Tensor Copy(int slot, int k)
    {
        var (p, shape) = _slots[slot];
        return K == 1 ? p : p.Narrow(0, k, 1).Reshape(shape);
    }

    /// <summary>
    /// The code lambda (a [K] tensor) mixing the copies, or null for the uniform 1/K. The bank does not own it.
    /// Set it before a forward pass; a code that requires grad makes gradients flow to the simplex-net.
    /// </summary>
    public Tensor? Mixing
    {
        get => _mixing;
        set
        {
            if (value is not null && (value.Dim != 1 || value.Size(0) != K))
                throw new ArgumentException($"The mixing code must be a vector of K = {K} entries.");
            _mixing = value;
        }
    }

    /// <summary>
    /// 1 / sum_k lambda_k^2 for the current code (K for the uniform 1/K; 1 when K = 1). An SGD step on the copies moves
    /// the merged weights sum_k lambda_k theta^k by lr * sum_k lambda_k^2 times the merged weights' gradient, so scaling a
    /// path's loss by this factor makes the merged weights take the step one supernet's weights would take at that lr.
    /// </summary>
    public double MergedStepScale()
    {
        if (K == 1) return 1;
        if (_mixing is null) return K;
        var sumOfSquares = _mixing.ToArray<float>().Sum(l => (double)l * l);
        return 1 / sumOfSquares;
    }

    /// <summary>
    /// Starts every copy of every slot from the same-named weight of <paramref name="source"/> (a one-shot bank, K = 1)
    /// plus independent Gaussian noise of <paramref name="relativeNoise"/> times that weight's standard deviation, drawn
    /// from libtorch's generator. The merged weights then start, at any code, as the source's weights (plus noise)
    /// instead of as a mean of K independent initializations, whose scale is 1/sqrt(K) of one network's.
    /// </summary>
    public void StartCopiesFrom(WeightBank source, double relativeNoise)
    {
        if (source.K != 1) throw new ArgumentException($"The copies start from a one-shot bank (K = 1), not K = {source.K}.", nameof(source));
        if (!double.IsFinite(relativeNoise) || relativeNoise < 0)
            throw new ArgumentOutOfRangeException(nameof(relativeNoise), relativeNoise, "The relative noise must be finite and non-negative.");
        if (!source.Names.SequenceEqual(Names))
            throw new ArgumentException("The source bank's slots differ from this bank's (another space or shape).", nameof(source));
        using var noGrad = NoGradScope.Begin();
        using var scope = TensorScope.Begin();
        for (var slot = 0; slot < Count; slot++)
        {
            var from = source.Parameter(slot);
            var std = from.NumEl > 1 ? from.Std().ToDouble() : 0;
            for (var k = 0; k < K; k++)
            {
                var copy = Copy(slot, k);
                copy.CopyFrom(from);
                if (relativeNoise == 0 || std == 0) continue;
                var noise = Tensor.Empty(_slots[slot].Shape);
                Init.Normal(noise, 0, relativeNoise * std);
                copy.AddInPlace(noise);
            }
        }
    }

    /// <summary>The weight of a slot for the current forward pass (owned by the bank when K = 1, else by the caller's scope).</summary>
    public Tensor Resolve(int slot)
    {
        var (p, shape) = _slots[slot];
        if (K == 1) return p;
        if (_mixing is null) return p.Mean([0]);
        return _mixing.Unsqueeze(0).MatMul(p.Reshape(K, -1)).Reshape(shape);
    }

    /// <summary>Not a stand-alone layer: supernets call <see cref="Resolve"/>.</summary>
    public override Tensor Forward(Tensor input) => throw new NotSupportedException("A weight bank has no forward pass of its own.");
}
