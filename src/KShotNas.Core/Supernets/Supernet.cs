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
