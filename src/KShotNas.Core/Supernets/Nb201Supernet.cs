using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

/// <summary>
/// The NB201 supernet: the skeleton of <see cref="Nb201Space"/> with every cell holding weights for all
/// operations of all 6 edges (each cell its own weights; all cells run the same architecture).
/// Batch norms are non-affine (the NB201 supernet recipe).
/// </summary>
public sealed partial class Nb201Supernet : Supernet
{
    private readonly int _stemConv, _stemNorm, _lastNorm, _fcWeight, _fcBias;
    private readonly List<CellSlots> _cells = new();
    private readonly List<ReductionSlots> _reductions = new();

    private sealed record CellSlots(int[] Conv1x1, int[] Norm1x1, int[] Conv3x3, int[] Norm3x3);
    private sealed record ReductionSlots(int ConvA, int NormA, int ConvB, int NormB, int Shortcut);

    /// <summary>Builds the supernet for a space's skeleton with <paramref name="k"/> weight copies.</summary>
    public Nb201Supernet(Nb201Space space, int k = 1, SupernetNorm norm = SupernetNorm.BatchStatistics) : base(space, k, norm)
    {
        var o = space.Options;
        _stemConv = Weights.AddConv("stem", o.InputChannels, o.C, 3);
        _stemNorm = Norms.Add(o.C);
        var c = o.C;
        for (var stage = 0; stage < 3; stage++)
        {
            if (stage > 0)
            {
                var p = $"reduce{stage}";
                _reductions.Add(new ReductionSlots(Weights.AddConv(p + "/a", c, 2 * c, 3), Norms.Add(2 * c),
                    Weights.AddConv(p + "/b", 2 * c, 2 * c, 3), Norms.Add(2 * c), Weights.AddConv(p + "/shortcut", c, 2 * c, 1)));
                c *= 2;
            }
            for (var cell = 0; cell < o.N; cell++)
            {
                var p = $"stage{stage}/cell{cell}";
                var e = Nb201Space.Edges.Length;
                var slots = new CellSlots(new int[e], new int[e], new int[e], new int[e]);
                for (var edge = 0; edge < e; edge++)
                {
                    slots.Conv1x1[edge] = Weights.AddConv($"{p}/edge{edge}/conv1x1", c, c, 1);
                    slots.Norm1x1[edge] = Norms.Add(c);
                    slots.Conv3x3[edge] = Weights.AddConv($"{p}/edge{edge}/conv3x3", c, c, 3);
                    slots.Norm3x3[edge] = Norms.Add(c);
                }
                _cells.Add(slots);
            }
        }
        _lastNorm = Norms.Add(c);
        (_fcWeight, _fcBias) = Weights.AddLinear("classifier", c, o.Classes);
    }

    /// <summary>The space.</summary>
    public new Nb201Space Space => (Nb201Space)base.Space;

    // Whether blocks hand an input that only convolutions read over activated and ReLUs overwrite such nodes (the
    // default). Off, every ReLU is a new tensor taken where it is read: the tests' plain reference for the fused forward.
    internal bool HandOverActivations { get; set; } = true;

    // Scoring (no gradients, the batch's own statistics) writes each cell node in one pass (FusedForward); off, one pass
    // per edge (Cell): the tests' reference for the fused nodes.
    internal bool FuseNodes { get; set; } = true;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Architecture a)
    {
        Space.Validate(a);
        if (FuseNodes && HandOverActivations && Norms.SumsInOnePass) return FusedForward(input, a);
        var o = Space.Options;
        using var scope = TensorScope.Begin();
        var onlyActivated = HandOverActivations ? OnlyActivated(a) : new bool[3];
        // A cell input that only convolutions read is wanted as ReLU(input) alone, so its producer (the stem, a reduction,
        // the cell before) writes it activated where it can, in the pass that writes it.
        var activateInputs = onlyActivated[0];
        var x = Norms.ApplyInPlace(Conv(input, _stemConv, padding: 1), _stemNorm, relu: activateInputs);
        var activated = activateInputs;
        for (var stage = 0; stage < 3; stage++)
        {
            if (stage > 0) (x, activated) = (Reduce(x, _reductions[stage - 1], activateInputs), activateInputs);
            for (var cell = 0; cell < o.N; cell++)
                (x, activated) = Cell(x, activated, a, onlyActivated, _cells[stage * o.N + cell], activateInputs && cell < o.N - 1);
        }
        x = Norms.ApplyInPlace(x, _lastNorm, relu: true); // x is the last cell's output, needed by nothing else
        x = Functional.AdaptiveAvgPool2d(x).Flatten(1);
        return Functional.Linear(x, Weights.Resolve(_fcWeight), Weights.Resolve(_fcBias)).MoveToOuterScope();
    }

    // Cells, reductions and edges free their intermediates when they return (each in its own scope): without
    // gradients nothing else keeps them, so a 2,048-image forward holds a cell's tensors, not the whole network's;
    // with gradients autograd keeps what backward needs either way.
    private Tensor Reduce(Tensor x, ReductionSlots r, bool activateOutput)
    {
        using var scope = TensorScope.Begin();
        var shortcut = Conv(Functional.AvgPool2d(x, 2, 2), r.Shortcut);
        // x is the last cell's output, needed by nothing else once pooled.
        var a = Norms.ApplyInPlace(Conv(NormSites.ReluOverwriting(x), r.ConvA, stride: 2, padding: 1), r.NormA, relu: true);
        // shortcut + norm(b) is the same float sum as norm(b) + shortcut; adding into the shortcut fuses it with the norm.
        return scope.Return(Norms.AddTo(shortcut, Conv(a, r.ConvB, padding: 1), r.NormB, relu: activateOutput));
    }

    // Node i < 3 that only convolutions read (no skip or pooling edge leaves it; node 3, the output, is the next block's).
    private static bool[] OnlyActivated(Architecture a) => [!Readers(a, 0).Value, !Readers(a, 1).Value, !Readers(a, 2).Value];

    // inputActivated: the input is already ReLU(node 0) (then onlyActivated[0] holds). activateOutput: the next cell wants
    // ReLU(output) only; the result says whether the output came activated (when its last edge could apply it).
    private (Tensor Output, bool Activated) Cell(Tensor input, bool inputActivated, Architecture a, bool[] onlyActivated,
        CellSlots s, bool activateOutput)
    {
        using var scope = TensorScope.Begin();
        var nodes = new Tensor[4];
        var activated = new Tensor?[4]; // ReLU(node), computed once for all conv edges leaving the node
        nodes[0] = input;
        if (inputActivated) activated[0] = input;
        for (var to = 1; to <= 3; to++)
        {
            Tensor? sum = null;
            var owned = false; // sum is this cell's own tensor (not a node passed on by a skip edge): add in place
            var last = Enumerable.Range(0, to).LastOrDefault(from => a[Nb201Space.EdgeIndex(to, from)] is not Nb201Space.None, -1);
            // Nothing reads the node but through its ReLU: the last edge into it applies the ReLU as it writes the sum.
            var activate = to < 3 ? onlyActivated[to] : activateOutput;
            for (var from = 0; from < to; from++)
            {
                var e = Nb201Space.EdgeIndex(to, from);
                var op = a[e];
                if (op is Nb201Space.None) continue;
                if (op is Nb201Space.Conv1x1 or Nb201Space.Conv3x3)
                {
                    activated[from] ??= onlyActivated[from] && !AliasedBelow(nodes, from, to) ? NormSites.ReluOverwriting(nodes[from]) : nodes[from].Relu();
                    var (conv, padding, norm) = op == Nb201Space.Conv1x1 ? (s.Conv1x1[e], 0, s.Norm1x1[e]) : (s.Conv3x3[e], 1, s.Norm3x3[e]);
                    var relu = activate && from == last && (owned || sum is null);
                    if (owned) // normalized straight into the sum: one pass instead of normalize, then add
                    {
                        using var edge = TensorScope.Begin(); // frees the convolution's output
                        sum = edge.Return(Norms.AddTo(sum!, Conv(activated[from]!, conv, padding: padding), norm, relu));
                    }
                    else
                    {
                        var y = Norms.ApplyInPlace(Conv(activated[from]!, conv, padding: padding), norm, relu);
                        (sum, owned) = (sum is null ? y : y.AddInPlace(sum), true);
                    }
                    if (relu) activated[to] = sum;
                    continue;
                }
                if (op is Nb201Space.AvgPool && owned) // pooled straight into the sum, as the normalized convolutions are
                {
                    Functional.AvgPool2dAddTo(sum!, nodes[from], 3, 1, 1, countIncludePad: false);
                    continue;
                }
                var x = op switch
                {
                    Nb201Space.Skip => nodes[from],
                    Nb201Space.AvgPool => Functional.AvgPool2d(nodes[from], 3, 1, 1, countIncludePad: false),
                    _ => throw new ArgumentOutOfRangeException(nameof(a), $"unknown operation {op}"),
                };
                // In place saves a 2,048-image tensor's allocation and one pass; the edges' backward needs none of
                // their outputs, and autograd would refuse the modification if one did.
                if (sum is null) (sum, owned) = (x, !ReferenceEquals(x, nodes[from]));
                else if (owned) sum.AddInPlace(x);
                else if (!ReferenceEquals(x, nodes[from])) (sum, owned) = (x.AddInPlace(sum), true);
                else (sum, owned) = (sum + x, true);
            }
            nodes[to] = sum ?? Tensor.EmptyLike(input).Zero(); // all incoming edges are 'none' (zeros in the input's layout)
        }
        return (scope.Return(activated[3] ?? nodes[3]), activated[3] is not null);
    }

    // A skip edge whose target has no other edge passes its source on as the same tensor: node `from` is then also an
    // earlier node (or the sum being built) that skip and pooling edges may still read, so it must not be overwritten.
    private static bool AliasedBelow(Tensor[] nodes, int from, int to)
    {
        for (var j = 0; j < to; j++)
            if (j != from && ReferenceEquals(nodes[j], nodes[from])) return true;
        return false;
    }
}
