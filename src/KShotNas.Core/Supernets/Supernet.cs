using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

/// <summary>
/// A network holding the weights of every architecture of a space; a forward pass runs one architecture.
/// Weights live in a <see cref="WeightBank"/> (K copies for K-shot NAS), batch norms in <see cref="NormSites"/>.
/// </summary>
public abstract class Supernet : Module
{
    /// <summary>Registers the bank and the norm sites.</summary>
    protected Supernet(SearchSpace space, int k, SupernetNorm norm)
    {
        Space = space;
        Weights = RegisterModule("weights", new WeightBank(k));
        Norms = RegisterModule("norms", new NormSites(norm));
    }

    /// <summary>The space whose architectures this supernet runs.</summary>
    public SearchSpace Space { get; }

    /// <summary>The shared weights.</summary>
    public WeightBank Weights { get; }

    /// <summary>The batch-norm sites.</summary>
    public NormSites Norms { get; }

    /// <summary>
    /// K-shot NAS's simplex-net (null for one-shot supernets). Not a registered sub-module: the supernet's
    /// optimizer never steps it; the supernet owns it and disposes it.
    /// </summary>
    public SimplexNet? Simplex
    {
        get => _simplex;
        set
        {
            if (value is not null && (value.K != Weights.K || value.Space != Space))
                throw new ArgumentException($"The simplex-net must mix K = {Weights.K} supernets of space {Space.Name}.");
            _simplex = value;
        }
    }

    private SimplexNet? _simplex;

    /// <summary>
    /// Sets the weight mixing to <paramref name="architecture"/>'s own code (no gradient to the simplex-net) until the
    /// returned scope is disposed; a no-op for one-shot supernets. Every evaluation of a K-shot path goes through this.
    /// </summary>
    public IDisposable UseCodeOf(Architecture architecture)
    {
        if (Simplex is null) return NoCode.Instance;
        Tensor code;
        using (NoGradScope.Begin())
        using (var scope = TensorScope.Begin())
            code = Simplex.Codes([architecture]).Reshape(Weights.K).DetachFromScope();
        Weights.Mixing = code;
        return new CodeScope(this, code);
    }

    private sealed class CodeScope(Supernet owner, Tensor code) : IDisposable
    {
        public void Dispose()
        {
            if (ReferenceEquals(owner.Weights.Mixing, code)) owner.Weights.Mixing = null;
            code.Dispose();
        }
    }

    private sealed class NoCode : IDisposable
    {
        public static readonly NoCode Instance = new();
        public void Dispose() { }
    }

    /// <inheritdoc />
    protected override void OnDispose() => _simplex?.Dispose();

    /// <summary>The architecture <see cref="Forward(Tensor)"/> runs.</summary>
    public Architecture? Active { get; set; }

    /// <summary>Runs <paramref name="architecture"/> on <paramref name="input"/>.</summary>
    public abstract Tensor Forward(Tensor input, Architecture architecture);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) =>
        Forward(input, Active ?? throw new InvalidOperationException("Set Active (or call Forward(input, architecture))."));

    /// <summary>The batch-norm sites that serve <paramref name="architecture"/> (few-shot routes to a sub-supernet).</summary>
    public virtual NormSites NormsFor(Architecture architecture) => Norms;

    /// <summary>Conv with a bank slot's weight.</summary>
    protected Tensor Conv(Tensor x, int slot, int stride = 1, int padding = 0, int groups = 1) =>
        Functional.Conv2d(x, Weights.Resolve(slot), null, stride, padding, 1, groups);
}
