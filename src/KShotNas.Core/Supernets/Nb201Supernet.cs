using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

/// <summary>
/// The NB201 supernet: the skeleton of <see cref="Nb201Space"/> with every cell holding weights for all
/// operations of all 6 edges (each cell its own weights; all cells run the same architecture).
/// Batch norms are non-affine (the NB201 supernet recipe).
/// </summary>
public sealed class Nb201Supernet : Supernet
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

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Architecture a)
    {
        Space.Validate(a);
        var o = Space.Options;
        using var scope = TensorScope.Begin();
        var x = Norms.Apply(Conv(input, _stemConv, padding: 1), _stemNorm);
        for (var stage = 0; stage < 3; stage++)
        {
            if (stage > 0) x = Reduce(x, _reductions[stage - 1]);
            for (var cell = 0; cell < o.N; cell++) x = Cell(x, a, _cells[stage * o.N + cell]);
        }
        x = Norms.Apply(x, _lastNorm).Relu();
        x = Functional.AdaptiveAvgPool2d(x).Flatten(1);
        return Functional.Linear(x, Weights.Resolve(_fcWeight), Weights.Resolve(_fcBias)).MoveToOuterScope();
    }

    // Cells, reductions and edges free their intermediates when they return (each in its own scope): without
    // gradients nothing else keeps them, so a 2,048-image forward holds a cell's tensors, not the whole network's;
    // with gradients autograd keeps what backward needs either way.
    private Tensor Reduce(Tensor x, ReductionSlots r)
    {
        using var scope = TensorScope.Begin();
        var a = Norms.Apply(Conv(x.Relu(), r.ConvA, stride: 2, padding: 1), r.NormA);
        a = Norms.Apply(Conv(a.Relu(), r.ConvB, padding: 1), r.NormB);
        var shortcut = Conv(Functional.AvgPool2d(x, 2, 2), r.Shortcut);
        return a.AddInPlace(shortcut).MoveToOuterScope();
    }

    private Tensor Cell(Tensor input, Architecture a, CellSlots s)
    {
        using var scope = TensorScope.Begin();
        var nodes = new Tensor[4];
        var activated = new Tensor?[4]; // ReLU(node), computed once for all conv edges leaving the node
        nodes[0] = input;
        for (var to = 1; to <= 3; to++)
        {
            Tensor? sum = null;
            var owned = false; // sum is this cell's own tensor (not a node passed on by a skip edge): add in place
            for (var from = 0; from < to; from++)
            {
                var e = Nb201Space.EdgeIndex(to, from);
                var op = a[e];
                if (op is Nb201Space.Conv1x1 or Nb201Space.Conv3x3) activated[from] ??= nodes[from].Relu();
                var y = Edge(nodes[from], activated[from], op, s, e);
                if (y is null) continue;
                // In place saves a 2,048-image tensor's allocation and one pass; the edges' backward needs none of
                // their outputs, and autograd would refuse the modification if one did.
                if (sum is null) (sum, owned) = (y, !ReferenceEquals(y, nodes[from]));
                else if (owned) sum.AddInPlace(y);
                else (sum, owned) = (sum + y, true);
            }
            nodes[to] = sum ?? Tensor.Zeros(input.Shape); // all incoming edges are 'none'
        }
        return scope.Return(nodes[3]);
    }

    private Tensor? Edge(Tensor x, Tensor? relu, int op, CellSlots s, int e) => op switch
    {
        Nb201Space.None => null,
        Nb201Space.Skip => x,
        Nb201Space.Conv1x1 => ConvNorm(relu!, s.Conv1x1[e], 0, s.Norm1x1[e]),
        Nb201Space.Conv3x3 => ConvNorm(relu!, s.Conv3x3[e], 1, s.Norm3x3[e]),
        Nb201Space.AvgPool => Functional.AvgPool2d(x, 3, 1, 1, countIncludePad: false),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private Tensor ConvNorm(Tensor x, int conv, int padding, int norm)
    {
        using var scope = TensorScope.Begin();
        return Norms.Apply(Conv(x, conv, padding: padding), norm).MoveToOuterScope();
    }
}
