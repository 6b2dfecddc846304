using KShotNas.Spaces;

namespace KShotNas.Deployment;

/// <summary>The stand-alone network an architecture denotes, as a <see cref="NetworkGraph"/>, for every built-in space.</summary>
public static class NetworkGraphs
{
    /// <summary>Builds the graph of <paramref name="a"/> in <paramref name="space"/>.</summary>
    public static NetworkGraph For(SearchSpace space, Architecture a)
    {
        space.Validate(a);
        return space switch
        {
            Nb201Space nb => Nb201(nb, a),
            NasBenchMacroSpace => Macro(a),
            MobileNetV2Space mb => MobileNetV2(mb, a),
            _ => throw new NotSupportedException($"No stand-alone network for space {space.Name}."),
        };
    }

    private static NetworkGraph Nb201(Nb201Space space, Architecture a)
    {
        var o = space.Options;
        var g = new NetworkGraph(o.InputChannels, o.InputSize, o.Classes);
        var x = g.BatchNorm(g.Conv(g.Input, o.C, 3, padding: 1, name: "stem"));
        var c = o.C;
        for (var stage = 0; stage < 3; stage++)
        {
            if (stage > 0)
            {
                var branch = g.BatchNorm(g.Conv(g.Relu(x), 2 * c, 3, stride: 2, padding: 1));
                branch = g.BatchNorm(g.Conv(g.Relu(branch), 2 * c, 3, padding: 1));
                var shortcut = g.Conv(g.AvgPool(x, 2, 2, 0, countIncludePad: true), 2 * c, 1);
                x = g.Sum(branch, shortcut);
                c *= 2;
            }
            for (var cell = 0; cell < o.N; cell++) x = Nb201Cell(g, x, a, c);
        }
        x = g.Flatten(g.GlobalAvgPool(g.Relu(g.BatchNorm(x))));
        g.Linear(x, o.Classes);
        return g;
    }

    private static int Nb201Cell(NetworkGraph g, int input, Architecture a, int c)
    {
        var nodes = new int[4];
        nodes[0] = input;
        var relu = new int?[4];
        for (var to = 1; to <= 3; to++)
        {
            int? sum = null;
            for (var from = 0; from < to; from++)
            {
                var op = a[Nb201Space.EdgeIndex(to, from)];
                int? y = op switch
                {
                    Nb201Space.None => null,
                    Nb201Space.Skip => nodes[from],
                    Nb201Space.Conv1x1 => g.BatchNorm(g.Conv(relu[from] ??= g.Relu(nodes[from]), c, 1)),
                    Nb201Space.Conv3x3 => g.BatchNorm(g.Conv(relu[from] ??= g.Relu(nodes[from]), c, 3, padding: 1)),
                    _ => g.AvgPool(nodes[from], 3, 1, 1, countIncludePad: false),
                };
                if (y is { } v) sum = sum is { } s ? g.Sum(s, v) : v;
            }
            nodes[to] = sum ?? g.ZerosLike(input);
        }
        return nodes[3];
    }

    private static NetworkGraph Macro(Architecture a)
    {
        var g = new NetworkGraph(3, NasBenchMacroSpace.InputSize, NasBenchMacroSpace.Classes);
        var x = g.Relu(g.BatchNorm(g.Conv(g.Input, NasBenchMacroSpace.StemChannels, 3, padding: 1, name: "stem")));
        for (var i = 0; i < NasBenchMacroSpace.Layers.Length; i++)
        {
            var (inC, outC, stride) = NasBenchMacroSpace.Layers[i];
            if (a[i] == 0)
            {
                if (stride != 1 || inC != outC) x = g.BatchNorm(g.Conv(x, outC, 1, stride));
                continue;
            }
            var (e, k) = NasBenchMacroSpace.Block(a[i]);
            x = MbConv(g, x, k, e, outC, stride, relu6: false, residual: stride == 1 && inC == outC);
        }
        x = g.Relu(g.BatchNorm(g.Conv(x, NasBenchMacroSpace.HeadChannels, 1)));
        g.Linear(g.Flatten(g.GlobalAvgPool(x)), NasBenchMacroSpace.Classes);
        return g;
    }

    private static NetworkGraph MobileNetV2(MobileNetV2Space space, Architecture a)
    {
        var o = space.Options;
        var g = new NetworkGraph(o.InputChannels, o.InputSize, o.Classes);
        var x = g.Relu6(g.BatchNorm(g.Conv(g.Input, o.StemChannels, 3, stride: 2, padding: 1, name: "stem")));
        x = g.Relu6(g.BatchNorm(g.Conv(x, o.StemChannels, 3, padding: 1, groups: o.StemChannels)));
        x = g.BatchNorm(g.Conv(x, o.FirstBlockChannels, 1));
        for (var i = 0; i < space.LayerSpecs.Count; i++)
        {
            var spec = space.LayerSpecs[i];
            if (space.Block(a, i) is not { } b) continue; // skip
            x = MbConv(g, x, b.Kernel, b.Expansion, space.OutputChannels(a, i), spec.Stride, relu6: true,
                residual: spec.Stride == 1 && spec.In == spec.Out);
        }
        x = g.Relu6(g.BatchNorm(g.Conv(x, o.LastChannels, 1)));
        g.Linear(g.Flatten(g.GlobalAvgPool(x)), o.Classes);
        return g;
    }

    private static int MbConv(NetworkGraph g, int x, int kernel, int expansion, int outC, int stride, bool relu6, bool residual)
    {
        int Act(int v) => relu6 ? g.Relu6(v) : g.Relu(v);
        var hidden = g.ChannelsOf(x) * expansion;
        var h = Act(g.BatchNorm(g.Conv(x, hidden, 1)));
        h = Act(g.BatchNorm(g.Conv(h, hidden, kernel, stride, kernel / 2, groups: hidden)));
        h = g.BatchNorm(g.Conv(h, outC, 1));
        if (!residual) return h;
        int cy = g.ChannelsOf(h), cx = g.ChannelsOf(x);
        if (cy == cx) return g.Sum(h, x);
        if (cx > cy) return g.Sum(h, g.SliceChannels(x, 0, cy));
        // output wider than input: add over the first channels, keep the rest (as the supernet does)
        return g.Concat(g.Sum(g.SliceChannels(h, 0, cx), x), g.SliceChannels(h, cx, cy - cx));
    }
}
