using KShotNas.Spaces;

namespace KShotNas.Search;

/// <summary>
/// The architecture to take when a time budget leaves too little time to train a supernet that could rank anything.
/// In NAS-Bench-201: the costliest variant of its ResNet cell that the limits allow, as a person would pick. Otherwise
/// (other spaces, or no ResNet variant fits), among those the limits allow whose every operation computes on a live input, the costliest (FLOPs: larger networks
/// train better in these spaces, the complexity bias the ranking study measures), then the one with the most skip
/// connections (residual paths train faster), then the deepest (convolutions on one path through a NAS-Bench-201
/// cell), then the largest. Measured on 6,000 Fashion-MNIST rows (docs/time-budget.md): depth first chose the all-1x1
/// cell (80.4 % in 120 s, against 87.3 % for a FLOPs-first pick with a skip); depth before skips chose a plain chain
/// (77.8 % in 60 s, against 82.6 % for the ResNet cell). In NAS-Bench-201 a node that receives only 'none' is all
/// zeros, and operations on it cost FLOPs but learn nothing.
/// </summary>
public static class PriorPick
{
    /// <summary>
    /// NAS-Bench-201's ResNet cell (node 3 = x + conv(conv(x))) and its cheaper variants, costliest first. Measured on
    /// 6,000 Fashion-MNIST rows (docs/time-budget.md): the 3x3-then-1x1 variant retrained to 88.1 % in 120 s and 87.3 % in
    /// 60 s, against 87.2 % and 85.1 % for the costliest-live-cell rule at the same FLOPs.
    /// </summary>
    public static IReadOnlyList<string> ResNetCells { get; } =
    [
        "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|",
        "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
        "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|",
        "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
    ];

    /// <summary>Chooses the prior pick; throws when the limits allow no architecture that was looked at.</summary>
    public static Architecture Choose(SearchSpace space, SearchConstraints? constraints, ulong seed = 0)
    {
        if (space is Nb201Space)
        {
            var resnet = ResNetCells.Select(space.Parse).Where(a => constraints?.Allows(space, a) ?? true)
                .OrderByDescending(a => space.Profile(a).Flops).FirstOrDefault();
            if (resnet is not null) return resnet;
        }
        // Small spaces are enumerated; large ones are sampled (the best of 20,000 is near the top by FLOPs).
        var rng = new Random(unchecked((int)seed));
        var candidates = space.Size <= 200_000 ? space.Enumerate() : Enumerable.Range(0, 20_000).Select(_ => space.Sample(rng));
        var best = candidates.Where(a => (constraints?.Allows(space, a) ?? true) && AllInputsLive(space, a))
            .Select(a => (a, p: space.Profile(a), skips: Skips(space, a), depth: ConvolutionDepth(space, a)))
            .OrderByDescending(x => x.p.Flops).ThenByDescending(x => x.skips).ThenByDescending(x => x.depth).ThenByDescending(x => x.p.Params).Select(x => x.a).FirstOrDefault();
        return best ?? throw new ArgumentException("No architecture of the space meets the limits with every operation on a live input.");
    }

    /// <summary>Convolutions on the longest path from the input node to the output node of a NAS-Bench-201 cell (0 for other spaces).</summary>
    public static int ConvolutionDepth(SearchSpace space, Architecture a)
    {
        if (space is not Nb201Space) return 0;
        var depth = new[] { 0, -1, -1, -1 }; // -1: not reached
        for (var to = 1; to <= 3; to++)
            for (var from = 0; from < to; from++)
            {
                var op = a[Nb201Space.EdgeIndex(to, from)];
                if (op == Nb201Space.None || depth[from] < 0) continue;
                depth[to] = Math.Max(depth[to], depth[from] + (op is Nb201Space.Conv1x1 or Nb201Space.Conv3x3 ? 1 : 0));
            }
        return Math.Max(0, depth[3]);
    }

    /// <summary>Skip connections of a NAS-Bench-201 cell (0 for other spaces).</summary>
    public static int Skips(SearchSpace space, Architecture a) =>
        space is Nb201Space ? Enumerable.Range(0, Nb201Space.Edges.Length).Count(i => a[i] == Nb201Space.Skip) : 0;

    /// <summary>
    /// True when every operation of <paramref name="a"/> reads a live node and feeds the output (NB201: a node fed only by
    /// 'none' is all zeros; one that feeds nothing on the way to node 3 is computed for nothing), and the output is fed.
    /// </summary>
    public static bool AllInputsLive(SearchSpace space, Architecture a)
    {
        if (space is not Nb201Space) return true;
        bool Edge(int to, int from) => a[Nb201Space.EdgeIndex(to, from)] != Nb201Space.None;
        var live = new bool[4];
        live[0] = true;
        for (var to = 1; to <= 3; to++)
            for (var from = 0; from < to; from++)
                if (Edge(to, from))
                {
                    if (!live[from]) return false;
                    live[to] = true;
                }
        var used = new bool[4];
        used[3] = true;
        for (var from = 2; from >= 0; from--)
            for (var to = from + 1; to <= 3; to++)
                if (Edge(to, from) && used[to]) used[from] = true;
        for (var to = 1; to <= 3; to++)
            for (var from = 0; from < to; from++)
                if (Edge(to, from) && !used[to]) return false;
        return live[3];
    }
}
