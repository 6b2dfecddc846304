using System.Collections.Immutable;
using System.Globalization;

namespace KShotNas.Spaces;

/// <summary>One stage of searchable MBConv layers: output channels, layer count, stride of its first layer.</summary>
public sealed record MobileNetStage(int Channels, int Layers, int Stride);

/// <summary>
/// Sizes of the MobileNetV2 macro space. Defaults are the seeds' ImageNet space (ProxylessNAS layout):
/// stem 3x3/2 to 32, a fixed MBConv (e1, k3) to 16, 21 searchable layers in stages 24x4/2, 40x4/2, 80x4/2,
/// 96x4/1, 192x4/2, 320x1/1, a 1x1 conv to 1280, pooling and a classifier.
/// </summary>
public sealed record MobileNetV2Options
{
    /// <summary>Input resolution.</summary>
    public int InputSize { get; init; } = 224;
    /// <summary>Input channels.</summary>
    public int InputChannels { get; init; } = 3;
    /// <summary>Classes.</summary>
    public int Classes { get; init; } = 1000;
    /// <summary>Stem output channels (stride 2).</summary>
    public int StemChannels { get; init; } = 32;
    /// <summary>Output channels of the fixed first block.</summary>
    public int FirstBlockChannels { get; init; } = 16;
    /// <summary>The searchable stages.</summary>
    public ImmutableArray<MobileNetStage> Stages { get; init; } =
        [new(24, 4, 2), new(40, 4, 2), new(80, 4, 2), new(96, 4, 1), new(192, 4, 2), new(320, 1, 1)];
    /// <summary>Channels of the final 1x1 conv.</summary>
    public int LastChannels { get; init; } = 1280;
    /// <summary>Kernel choices.</summary>
    public ImmutableArray<int> Kernels { get; init; } = [3, 5, 7];
    /// <summary>Expansion choices.</summary>
    public ImmutableArray<int> Expansions { get; init; } = [3, 6];
    /// <summary>Output-width fractions per layer; a single 1.0 means no width search.</summary>
    public ImmutableArray<double> WidthFractions { get; init; } = [1.0];

    /// <summary>A small variant for 2-core CPUs: 28x28x1 input, 10 classes, channels scaled down, widths searched.</summary>
    public static MobileNetV2Options FashionMnistSmall { get; } = new()
    {
        InputSize = 28, InputChannels = 1, Classes = 10, StemChannels = 16, FirstBlockChannels = 8,
        Stages = [new(16, 2, 2), new(24, 2, 2), new(32, 2, 1)], LastChannels = 128, WidthFractions = [0.5, 0.75, 1.0],
    };
}

/// <summary>
/// The MobileNetV2 macro space: per searchable layer a (kernel, expansion) block, or a skip where the layer
/// keeps stride 1 and width (6 or 7 choices), and, when several width fractions are given, a width decision
/// per layer (the layer keeps the first round(f * C) output channels). Decisions: all layer operations first,
/// then all widths. A skipped layer passes its input through, so its width decision has no effect.
/// Residual adds at mismatched widths add over the common first channels.
/// Text form: layers joined by '-', each "k3e6" or "skip", with "@0.75" appended when widths are searched.
/// </summary>
public sealed class MobileNetV2Space : SearchSpace
{
    private readonly ImmutableArray<LayerSpec> _layers;

    /// <summary>One searchable layer: channels in and out (at full width), stride, and whether it may be skipped.</summary>
    public sealed record LayerSpec(int In, int Out, int Stride, bool CanSkip);

    /// <summary>Creates the space.</summary>
    public MobileNetV2Space(MobileNetV2Options? options = null) : this(options ?? new MobileNetV2Options(), Build(options ?? new MobileNetV2Options())) { }

    private MobileNetV2Space(MobileNetV2Options o, ImmutableArray<LayerSpec> layers) : base("mobilenetv2", MakeDecisions(o, layers))
    {
        Options = o;
        _layers = layers;
        if (o.WidthFractions.Length == 0 || o.WidthFractions.Any(f => f is <= 0 or > 1))
            throw new ArgumentException("Width fractions must be in (0, 1].");
    }

    /// <summary>The sizes.</summary>
    public MobileNetV2Options Options { get; }

    /// <summary>The searchable layers.</summary>
    public IReadOnlyList<LayerSpec> LayerSpecs => _layers;

    /// <summary>True when widths are searched.</summary>
    public bool SearchesWidth => Options.WidthFractions.Length > 1;

    private static ImmutableArray<LayerSpec> Build(MobileNetV2Options o)
    {
        var layers = ImmutableArray.CreateBuilder<LayerSpec>();
        var c = o.FirstBlockChannels;
        foreach (var s in o.Stages)
            for (var i = 0; i < s.Layers; i++)
            {
                var stride = i == 0 ? s.Stride : 1;
                layers.Add(new LayerSpec(c, s.Channels, stride, stride == 1 && c == s.Channels));
                c = s.Channels;
            }
        return layers.ToImmutable();
    }

    private static Decision[] MakeDecisions(MobileNetV2Options o, ImmutableArray<LayerSpec> layers)
    {
        var blocks = o.Kernels.SelectMany(k => o.Expansions.Select(e => $"k{k}e{e}")).ToImmutableArray();
        var list = layers.Select((l, i) => new Decision($"layer {i}", l.CanSkip ? blocks.Add("skip") : blocks)).ToList();
        if (o.WidthFractions.Length > 1)
        {
            var widths = o.WidthFractions.Select(f => f.ToString(CultureInfo.InvariantCulture)).ToImmutableArray();
            list.AddRange(layers.Select((_, i) => new Decision($"width {i}", widths)));
        }
        return list.ToArray();
    }

    /// <summary>What layer <paramref name="i"/> of <paramref name="a"/> is: null for skip, else (kernel, expansion).</summary>
    public (int Kernel, int Expansion)? Block(Architecture a, int i)
    {
        var option = a[i];
        var nExp = Options.Expansions.Length;
        if (option >= Options.Kernels.Length * nExp) return null;
        return (Options.Kernels[option / nExp], Options.Expansions[option % nExp]);
    }

    /// <summary>Output channels of layer <paramref name="i"/> in <paramref name="a"/> (its width choice applied).</summary>
    public int OutputChannels(Architecture a, int i)
    {
        var full = _layers[i].Out;
        if (!SearchesWidth) return full;
        return Math.Max(1, (int)Math.Round(Options.WidthFractions[a[_layers.Length + i]] * full));
    }

    /// <inheritdoc />
    public override (int Channels, int Height, int Width, int Classes) InputShape => (Options.InputChannels, Options.InputSize, Options.InputSize, Options.Classes);

    /// <inheritdoc />
    public override string Format(Architecture a)
    {
        Validate(a);
        return string.Join("-", _layers.Select((_, i) =>
        {
            var op = Decisions[i].Options[a[i]];
            return SearchesWidth ? $"{op}@{Decisions[_layers.Length + i].Options[a[_layers.Length + i]]}" : op;
        }));
    }

    /// <inheritdoc />
    public override Architecture Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('-');
        if (parts.Length != _layers.Length) throw new ArchitectureFormatException(Name, text, $"expected {_layers.Length} layers joined by '-'");
        var choices = new int[Decisions.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            var pieces = parts[i].Split('@');
            if (pieces.Length != (SearchesWidth ? 2 : 1))
                throw new ArchitectureFormatException(Name, text, SearchesWidth ? $"layer {i} needs op@width" : $"layer {i} must not have a width");
            choices[i] = Decisions[i].Options.IndexOf(pieces[0]);
            if (choices[i] < 0) throw new ArchitectureFormatException(Name, text, $"layer {i} cannot be '{pieces[0]}'");
            if (!SearchesWidth) continue;
            choices[_layers.Length + i] = Decisions[_layers.Length + i].Options.IndexOf(pieces[1]);
            if (choices[_layers.Length + i] < 0) throw new ArchitectureFormatException(Name, text, $"unknown width '{pieces[1]}' at layer {i}");
        }
        return new Architecture(choices);
    }

    /// <inheritdoc />
    public override NetworkProfile Profile(Architecture a)
    {
        Validate(a);
        var o = Options;
        var cost = new CostCounter();
        long size = (o.InputSize + 1) / 2; // stem 3x3 stride 2, padding 1
        cost.Conv(o.InputChannels, o.StemChannels, 3, size, size).BatchNorm(o.StemChannels);
        // fixed first block, expansion 1: depthwise 3x3 then 1x1 projection
        cost.Conv(o.StemChannels, o.StemChannels, 3, size, size, groups: o.StemChannels).BatchNorm(o.StemChannels);
        cost.Conv(o.StemChannels, o.FirstBlockChannels, 1, size, size).BatchNorm(o.FirstBlockChannels);
        long c = o.FirstBlockChannels;
        for (var i = 0; i < _layers.Count(); i++)
        {
            var spec = _layers[i];
            var outSize = spec.Stride == 2 ? (size + 1) / 2 : size;
            if (Block(a, i) is { } b)
            {
                long outC = OutputChannels(a, i);
                var hidden = c * b.Expansion;
                cost.Conv(c, hidden, 1, size, size).BatchNorm(hidden);
                cost.Conv(hidden, hidden, b.Kernel, outSize, outSize, groups: hidden).BatchNorm(hidden);
                cost.Conv(hidden, outC, 1, outSize, outSize).BatchNorm(outC);
                c = outC;
            }
            size = outSize;
        }
        cost.Conv(c, o.LastChannels, 1, size, size).BatchNorm(o.LastChannels).Linear(o.LastChannels, o.Classes);
        return cost.Result;
    }
}
