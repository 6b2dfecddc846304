using KShotNas.Tests.Shared;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;

namespace KShotNas.Core.Tests;

/// <summary>
/// The no-gradient NB201 forward (batch norm written into its target, pooling added into the sum, ReLU in place or in the
/// normalization's pass) gives the logits of the gradient forward without hand-overs, which runs the plain operations
/// and takes every ReLU where it is read, for every cell of the space. In-place work must never touch a tensor another
/// edge still reads (a skip edge passes its node on, so nodes alias), and a ReLU applied by a node's producer (the stem,
/// a reduction, the cell before: N = 2) must stand for the one its readers would apply.
/// </summary>
public class FusedForwardTests
{
    public FusedForwardTests() => TorchRuntime.Threads = 1;

    [Fact]
    public void NoGradientForwardEqualsGradientForwardForEveryCell()
    {
        TorchRuntime.ManualSeed(5);
        using var net = new Nb201Supernet(new Nb201Space(new Nb201Options(C: 2, N: 2, InputChannels: 1, InputSize: 8, Classes: 3)));
        using var scope = TensorScope.Begin();
        var x = Tensor.Randn([4, 1, 8, 8]);
        var checkedCells = 0;
        foreach (var a in net.Space.Enumerate())
        {
            using var s = TensorScope.Begin();
            float[] fused;
            net.HandOverActivations = true;
            using (NoGradScope.Begin()) fused = net.Forward(x, a).ToArray<float>();
            net.HandOverActivations = false; // the reference takes every ReLU where it is read, as a new tensor
            var plain = net.Forward(x, a);
            Assert.True(plain.RequiresGrad); // the reference ran the plain operations
            var diff = fused.Zip(plain.ToArray<float>()).Max(p => Math.Abs(p.First - p.Second));
            // Not bitwise: the gradient path's batch norm is libtorch's, whose statistics sum in another order. Images of
            // 8x8 keep the last stage's batch norm over 16 values per channel (over 3, a near-constant channel turned
            // rounding into differences of 0.18); the aliasing bug this guards against moved logits by 0.4-0.7.
            Assert.True(diff < 1e-3f, $"{net.Space.Format(a)}: the fused forward differs by {diff}");
            checkedCells++;
        }
        Assert.Equal(15_625, checkedCells);
    }

    /// <summary>
    /// Scoring's cell that writes each node in one pass (and runs the pruned cell) gives bitwise the
    /// logits of the cell that writes a node once per edge, for every cell, and frees what it allocates.
    /// </summary>
    [Fact]
    public void OnePassNodesEqualOnePassPerEdgeForEveryCell()
    {
        TorchRuntime.ManualSeed(6);
        using var net = new Nb201Supernet(new Nb201Space(new Nb201Options(C: 2, N: 2, InputChannels: 1, InputSize: 8, Classes: 3)));
        using var scope = TensorScope.Begin();
        using var noGrad = NoGradScope.Begin();
        var x = Tensor.Randn([4, 1, 8, 8]) + 0.5;
        var live = NativeTensors.Settled(); // earlier tests' unreferenced tensors finalized first, so the count is this test's
        var pruned = 0;
        foreach (var a in net.Space.Enumerate())
        {
            using var s = TensorScope.Begin();
            net.FuseNodes = false;
            var perEdge = net.Forward(x, a).ToArray<float>();
            net.FuseNodes = true;
            var perNode = net.Forward(x, a).ToArray<float>();
            Assert.True(perEdge.SequenceEqual(perNode), $"{net.Space.Format(a)}: {string.Join(", ", perEdge)} against {string.Join(", ", perNode)}");
            if (!Nb201Space.Pruned(a).Equals(a)) pruned++;
        }
        Assert.Equal(live, TorchRuntime.LiveNativeTensors);
        Assert.True(pruned > 3_000, $"{pruned} cells are pruned"); // the pruning is exercised, not only the sums
    }
}
