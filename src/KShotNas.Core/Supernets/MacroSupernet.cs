using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Supernets;

/// <summary>
/// The supernet of a MobileNet-style macro space (NAS-Bench-Macro, MobileNetV2): every distinct (kernel, expansion)
/// block of every layer has its own weights (single-path weight sharing as in SPOS); widths share weights by
/// using the first c channels. A residual add (stride 1, equal full widths) at mismatched widths adds over the
/// common first channels. Batch norms are non-affine.
/// </summary>
public sealed class MacroSupernet : Supernet
{
    private readonly MacroPlan _plan;
    private readonly int _stem, _stemNorm, _firstDw, _firstDwNorm, _firstPw, _firstPwNorm, _head, _headNorm, _fcW, _fcB;
    private readonly List<LayerSlots> _layers = new();

    private sealed record BlockSlots(int Expand, int ExpandNorm, int Depthwise, int DepthwiseNorm, int Project, int ProjectNorm);
    private sealed record LayerSlots(Dictionary<(int, int), BlockSlots> Blocks, int? Downsample, int? DownsampleNorm);

    /// <summary>Builds the supernet for NAS-Bench-Macro.</summary>
    public MacroSupernet(NasBenchMacroSpace space, int k = 1, SupernetNorm norm = SupernetNorm.BatchStatistics)
        : this(space, MacroPlan.For(space), k, norm) { }

    /// <summary>Builds the supernet for a MobileNetV2 space.</summary>
    public MacroSupernet(MobileNetV2Space space, int k = 1, SupernetNorm norm = SupernetNorm.BatchStatistics)
        : this(space, MacroPlan.For(space), k, norm) { }

    private MacroSupernet(SearchSpace space, MacroPlan plan, int k, SupernetNorm norm) : base(space, k, norm)
    {
        _plan = plan;
        _stem = Weights.AddConv("stem", plan.InputChannels, plan.StemChannels, 3);
        _stemNorm = Norms.Add(plan.StemChannels);
        var c = plan.StemChannels;
        if (plan.FixedFirstBlock)
        {
            _firstDw = Weights.AddConv("first/dw", c, c, 3, groups: c);
            _firstDwNorm = Norms.Add(c);
            _firstPw = Weights.AddConv("first/pw", c, plan.FirstBlockChannels, 1);
            _firstPwNorm = Norms.Add(plan.FirstBlockChannels);
        }
        for (var i = 0; i < plan.Layers.Count; i++)
        {
            var l = plan.Layers[i];
            var blocks = new Dictionary<(int, int), BlockSlots>();
            foreach (var (kernel, e) in l.Blocks)
            {
                var p = $"layer{i}/k{kernel}e{e}";
                var hidden = l.In * e;
                blocks[(kernel, e)] = new BlockSlots(Weights.AddConv(p + "/expand", l.In, hidden, 1), Norms.Add(hidden),
                    Weights.AddConv(p + "/dw", hidden, hidden, kernel, groups: hidden), Norms.Add(hidden),
                    Weights.AddConv(p + "/project", hidden, l.Out, 1), Norms.Add(l.Out));
            }
            // NAS-Bench-Macro's identity where the layer downsamples: 1x1 conv (stride) + BN
            var needsDownsample = !plan.FixedFirstBlock && (l.Stride != 1 || l.In != l.Out);
            _layers.Add(new LayerSlots(blocks, needsDownsample ? Weights.AddConv($"layer{i}/downsample", l.In, l.Out, 1) : null,
                needsDownsample ? Norms.Add(l.Out) : null));
        }
        var last = plan.Layers[^1].Out;
        _head = Weights.AddConv("head", last, plan.HeadChannels, 1);
        _headNorm = Norms.Add(plan.HeadChannels);
        (_fcW, _fcB) = Weights.AddLinear("classifier", plan.HeadChannels, plan.Classes);
    }

    private Tensor Act(Tensor x) => _plan.Relu6 ? x.Relu6() : x.Relu();

    /// <summary>A conv with the weight's first <paramref name="outC"/> filters over as many input channels as x has.</summary>
    private Tensor SlicedConv(Tensor x, int slot, int outC, int stride = 1, int padding = 0, bool depthwise = false)
    {
        var w = Weights.Resolve(slot);
        var full = w.Shape;
        if (full[0] != outC) w = w.Narrow(0, 0, outC);
        var inC = x.Size(1);
        if (!depthwise && full[1] != inC) w = w.Narrow(1, 0, inC);
        return Functional.Conv2d(x, w, null, stride, padding, 1, depthwise ? outC : 1);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Architecture a)
    {
        Space.Validate(a);
        using var scope = TensorScope.Begin();
        var x = Act(Norms.Apply(Conv(input, _stem, stride: _plan.StemStride, padding: 1), _stemNorm));
        if (_plan.FixedFirstBlock)
        {
            var c = _plan.StemChannels;
            x = Act(Norms.Apply(Conv(x, _firstDw, padding: 1, groups: c), _firstDwNorm));
            x = Norms.Apply(Conv(x, _firstPw), _firstPwNorm);
        }
        for (var i = 0; i < _layers.Count; i++) x = Layer(x, i, _plan.Choose(a, i));
        x = Act(Norms.Apply(SlicedConv(x, _head, _plan.HeadChannels), _headNorm));
        x = Functional.AdaptiveAvgPool2d(x).Flatten(1);
        return Functional.Linear(x, Weights.Resolve(_fcW), Weights.Resolve(_fcB)).MoveToOuterScope();
    }

    private Tensor Layer(Tensor x, int i, LayerChoice choice)
    {
        var spec = _plan.Layers[i];
        var slots = _layers[i];
        if (choice.Block is not { } b)
        {
            if (slots.Downsample is not { } d) return x;
            return Norms.Apply(SlicedConv(x, d, choice.OutChannels, spec.Stride), slots.DownsampleNorm!.Value);
        }
        var s = slots.Blocks[b];
        var hidden = (int)x.Size(1) * b.Expansion;
        var h = Act(Norms.Apply(SlicedConv(x, s.Expand, hidden), s.ExpandNorm));
        h = Act(Norms.Apply(SlicedConv(h, s.Depthwise, hidden, spec.Stride, b.Kernel / 2, depthwise: true), s.DepthwiseNorm));
        h = Norms.Apply(SlicedConv(h, s.Project, choice.OutChannels), s.ProjectNorm);
        if (spec.Stride != 1 || spec.In != spec.Out) return h;
        return AddResidual(h, x);
    }

    private static Tensor AddResidual(Tensor y, Tensor x)
    {
        long cy = y.Size(1), cx = x.Size(1);
        if (cy == cx) return y + x;
        if (cx > cy) return y + x.Narrow(1, 0, cy);
        return Tensor.Cat([y.Narrow(1, 0, cx) + x, y.Narrow(1, cx, cy - cx)], 1);
    }
}
