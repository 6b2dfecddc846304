using KShotNas.Spaces;
using KShotNas.Torch;

namespace KShotNas.Supernets;

/// <summary>
/// Few-shot NAS: one sub-supernet per option of a split decision (NB201: edge 1&lt;-0), each trained with that
/// option fixed; an architecture runs on the sub-supernet matching its option there.
/// </summary>
public sealed class FewShotSupernet : Supernet
{
    private readonly Supernet[] _subs;

    /// <summary>Builds one sub-supernet per option of <paramref name="splitDecision"/> with <paramref name="factory"/>.</summary>
    public FewShotSupernet(SearchSpace space, int splitDecision, Func<Supernet> factory, SupernetNorm norm) : base(space, 1, norm)
    {
        if (splitDecision < 0 || splitDecision >= space.Decisions.Count)
            throw new ArgumentOutOfRangeException(nameof(splitDecision), splitDecision, "No such decision.");
        SplitDecision = splitDecision;
        _subs = new Supernet[space.Decisions[splitDecision].Count];
        for (var i = 0; i < _subs.Length; i++) _subs[i] = RegisterModule($"sub{i}", factory());
    }

    /// <summary>The decision the supernet is split on.</summary>
    public int SplitDecision { get; }

    /// <summary>The sub-supernets, by option of the split decision.</summary>
    public IReadOnlyList<Supernet> SubSupernets => _subs;

    /// <summary>The sub-supernet that runs <paramref name="a"/>.</summary>
    public Supernet For(Architecture a) => _subs[a[SplitDecision]];

    /// <inheritdoc />
    public override NormSites NormsFor(Architecture a) => For(a).Norms;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Architecture architecture) => For(architecture).Forward(input, architecture);

    /// <summary>Weight transfer: every sub-supernet starts from <paramref name="oneShot"/>'s weights.</summary>
    public void TransferFrom(Supernet oneShot)
    {
        foreach (var sub in _subs) sub.LoadStateDict(oneShot.StateDict());
    }
}
