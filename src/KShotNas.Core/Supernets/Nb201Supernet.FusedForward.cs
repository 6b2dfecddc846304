using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

public sealed partial class Nb201Supernet
{
    // A block's output as its readers want it: the value (skip and pooling edges, the last batch norm), its ReLU
    // (convolutions), its 2x2 pooling (a reduction's shortcut), or several of them. The block writes them in the pass
    // that writes the value, where a reader would otherwise read the value again in a pass of its own.
    private readonly record struct Handed(Tensor? Value, Tensor? Relu, Tensor? Pooled = null);

    private readonly record struct Wants(bool Relu, bool Value, bool Pooled = false);

    // The forward as scoring runs it (no gradients, every site on its batch's statistics). Each cell node is written in
    // one pass from all its incoming edges (NormSites.Sum): the edges' convolutions are normalized and summed with the
    // skip edges' inputs and the pooling edges' inputs, pooled in the same pass, where Cell writes the node once per
    // edge. The pass writes what the node's readers want (Wants). The cells are pruned (Nb201Space.Pruned: no edges out
    // of a node of zeros, none into a node that does not reach the output). The sums add the same float values in the
    // same order as Forward's other path, so the logits are the same (FusedForwardTests).
    private Tensor FusedForward(Tensor input, Architecture a)
    {
        var o = Space.Options;
        using var scope = TensorScope.Begin();
        a = Nb201Space.Pruned(a);
        // A cell whose input nothing reads still takes the input's shape for its zeros: it gets the value.
        var cellInput = Readers(a, 0);
        if (!cellInput.Relu) cellInput = cellInput with { Value = true };
        var stem = Conv(input, _stemConv, padding: 1);
        var x = Write([stem], [SumTerm.Normalized], stem, cellInput);
        for (var stage = 0; stage < 3; stage++)
        {
            if (stage > 0) x = FusedReduce(x, _reductions[stage - 1], cellInput);
            for (var cell = 0; cell < o.N; cell++)
            {
                // The cell's output goes to the next cell, to a reduction (its shortcut reads the 2x2 pooling, its first
                // convolution the ReLU), or to the last batch norm (the value). The sides before a reduction are even
                // (Nb201Space takes multiples of 4), which the pooling in the pass needs.
                var next = cell < o.N - 1 ? cellInput
                    : stage < 2 ? new Wants(Relu: true, Value: false, Pooled: true)
                    : new Wants(false, true);
                x = FusedCell(x, a, _cells[stage * o.N + cell], next);
            }
        }
        var y = Norms.ApplyInPlace(x.Value!, _lastNorm, relu: true); // the last cell's output, needed by nothing else
        y = Functional.AdaptiveAvgPool2d(y).Flatten(1);
        return Functional.Linear(y, Weights.Resolve(_fcWeight), Weights.Resolve(_fcBias)).MoveToOuterScope();
    }

    // target = the sum of the terms (each read as its kind says), handed over as `wants` asks: the ReLU in the same pass
    // when only it is wanted, the value and a ReLU copy when both are, and the sum's 2x2 pooling when asked.
    private static Handed Write(List<Tensor> terms, List<SumTerm> kinds, Tensor target, Wants wants)
    {
        var reluCopy = wants is { Relu: true, Value: true } ? Tensor.EmptyLike(target) : null;
        var reluOnly = wants is { Relu: true, Value: false };
        var pooled = NormSites.Sum(terms, kinds, target, relu: reluOnly, reluCopy, pool2x2: wants.Pooled);
        return reluOnly ? new Handed(null, target, pooled) : new Handed(target, reluCopy, pooled);
    }

    private Handed FusedReduce(Handed x, ReductionSlots r, Wants wants)
    {
        using var scope = TensorScope.Begin();
        var shortcut = Conv(x.Pooled ?? Functional.AvgPool2d(x.Value!, 2, 2), r.Shortcut);
        var a = Norms.ApplyInPlace(Conv(x.Relu!, r.ConvA, stride: 2, padding: 1), r.NormA, relu: true);
        // shortcut + norm(b), as Reduce adds them.
        return Returned(scope, Write([shortcut, Conv(a, r.ConvB, padding: 1)], [SumTerm.AsIs, SumTerm.Normalized], shortcut, wants));
    }

    private Handed FusedCell(Handed input, Architecture a, CellSlots s, Wants output)
    {
        using var scope = TensorScope.Begin();
        var nodes = new Tensor?[4];
        var activated = new Tensor?[4]; // ReLU(node), for the convolutions leaving it
        Tensor? pooled = null; // node 3's 2x2 pooling, when the pass that wrote it made one
        (nodes[0], activated[0]) = (input.Value, input.Relu);
        for (var to = 1; to <= 3; to++)
        {
            // What reads the node: its ReLU (convolutions leaving it) or its value (skip and pooling edges); node 3's
            // readers are the next block's. A node the pruning cut off has no readers.
            var wants = to < 3 ? Readers(a, to) : output;
            if (!wants.Relu && !wants.Value) continue;
            using var node = TensorScope.Begin(); // frees the edges' outputs that are not the node
            var terms = new List<Tensor>();
            var kinds = new List<SumTerm>();
            for (var from = 0; from < to; from++)
            {
                var e = Nb201Space.EdgeIndex(to, from);
                var op = a[e];
                if (op is Nb201Space.None) continue;
                // A convolution's output is normalized in the pass; a pooling edge's input is pooled in the pass.
                var (term, kind) = op switch
                {
                    Nb201Space.Conv1x1 => (Conv(activated[from]!, s.Conv1x1[e]), SumTerm.Normalized),
                    Nb201Space.Conv3x3 => (Conv(activated[from]!, s.Conv3x3[e], padding: 1), SumTerm.Normalized),
                    Nb201Space.Skip => (nodes[from]!, SumTerm.AsIs),
                    Nb201Space.AvgPool => (nodes[from]!, SumTerm.AvgPool3x3),
                    _ => throw new ArgumentOutOfRangeException(nameof(a), $"unknown operation {op}"),
                };
                terms.Add(term);
                kinds.Add(kind);
            }
            Handed h;
            if (terms.Count == 0) // node 3 with no edges left: zeros
            {
                var zeros = Tensor.EmptyLike(input.Value ?? input.Relu!).Zero();
                h = new Handed(zeros, zeros);
            }
            else if (terms is [_] && kinds[0] == SumTerm.AsIs) // one skip edge passes its source on
            {
                var from = Enumerable.Range(0, to).First(f => a[Nb201Space.EdgeIndex(to, f)] is not Nb201Space.None);
                h = new Handed(nodes[from], wants.Relu ? activated[from] ?? nodes[from]!.Relu() : null);
            }
            else
            {
                // The sum goes into a convolution's output (this node's own tensor) when one of the first two terms is
                // one: the first two of a float sum may swap, and only the first term may be the target.
                if (kinds[0] != SumTerm.Normalized && terms.Count > 1 && kinds[1] == SumTerm.Normalized)
                {
                    (terms[0], terms[1]) = (terms[1], terms[0]);
                    (kinds[0], kinds[1]) = (kinds[1], kinds[0]);
                }
                h = Write(terms, kinds, kinds[0] == SumTerm.Normalized ? terms[0] : Tensor.EmptyLike(terms[0]), wants);
            }
            (nodes[to], activated[to], pooled) = Returned(node, h);
        }
        // A node 3 that no pass wrote (zeros, or a skip's source) hands its value for the reader to pool.
        return Returned(scope, new Handed(output.Value || (output.Pooled && pooled is null) ? nodes[3] : null,
            output.Relu ? activated[3] : null, pooled));
    }

    // h with its tensors handed to the scope around `scope` (a tensor owned elsewhere stays where it is).
    private static Handed Returned(TensorScope scope, Handed h) =>
        new(h.Value is { } v ? scope.Return(v) : null, h.Relu is { } r ? scope.Return(r) : null,
            h.Pooled is { } p ? scope.Return(p) : null);

    // Whether convolutions (wanting the node's ReLU) or skip and pooling edges (wanting its value) leave node `from`.
    private static Wants Readers(Architecture a, int from)
    {
        var (relu, value) = (false, false);
        for (var to = from + 1; to <= 3; to++)
        {
            var op = a[Nb201Space.EdgeIndex(to, from)];
            relu |= op is Nb201Space.Conv1x1 or Nb201Space.Conv3x3;
            value |= op is Nb201Space.Skip or Nb201Space.AvgPool;
        }
        return new Wants(relu, value);
    }
}
