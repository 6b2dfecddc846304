using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

/// <summary>
/// Every shared weight of a supernet, stored once per slot, in K independently initialized copies.
/// <see cref="Resolve"/> gives the weight a forward pass uses: the single copy when K = 1, else the mix
/// sum_k lambda_k theta^k with the current <see cref="Mixing"/> code, computed only for the slots a path uses.
/// </summary>
public sealed class WeightBank : Module
{
    private readonly List<Tensor[]> _copies = new();
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
    public int Count => _copies.Count;

    /// <summary>Slot names, by slot id.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Adds a slot of the given shape; <paramref name="init"/> runs once per copy.</summary>
    public int Add(string name, long[] shape, Action<Tensor> init)
    {
        var copies = new Tensor[K];
        for (var k = 0; k < K; k++)
        {
            var t = Tensor.Empty(shape).DetachFromScope();
            init(t);
            copies[k] = RegisterParameter($"{name}#{k}", t);
        }
        _copies.Add(copies);
        _names.Add(name);
        return _copies.Count - 1;
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

    /// <summary>Copy <paramref name="k"/> of a slot.</summary>
    public Tensor Copy(int slot, int k) => _copies[slot][k];

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

    /// <summary>The weight of a slot for the current forward pass (owned by the bank when K = 1, else by the caller's scope).</summary>
    public Tensor Resolve(int slot)
    {
        var copies = _copies[slot];
        if (K == 1) return copies[0];
        if (_mixing is null)
        {
            var sum = copies[0].Add(copies[1]);
            for (var k = 2; k < K; k++) sum = sum.Add(copies[k]);
            return sum.Div(K);
        }
        var merged = copies[0].Mul(_mixing.Narrow(0, 0, 1));
        for (var k = 1; k < K; k++) merged = merged.Add(copies[k].Mul(_mixing.Narrow(0, k, 1)));
        return merged;
    }

    /// <summary>Not a stand-alone layer: supernets call <see cref="Resolve"/>.</summary>
    public override Tensor Forward(Tensor input) => throw new NotSupportedException("A weight bank has no forward pass of its own.");
}
