using KShotNas.Spaces;

namespace KShotNas.Supernets;

/// <summary>What one searchable layer runs for an architecture.</summary>
/// <param name="Block">(kernel, expansion) of an MBConv block, or null for the identity/skip.</param>
/// <param name="OutChannels">Output channels the layer keeps (its width choice applied).</param>
public readonly record struct LayerChoice((int Kernel, int Expansion)? Block, int OutChannels);

/// <summary>
/// The skeleton of a MobileNet-style macro space as the shared supernet code needs it: stem, searchable
/// layers with their candidate blocks, head, and how an architecture maps to per-layer choices.
/// </summary>
public sealed record MacroPlan(
    int InputChannels, int StemChannels, int StemStride, bool FixedFirstBlock, int FirstBlockChannels,
    IReadOnlyList<MacroPlan.Layer> Layers, int HeadChannels, int Classes, bool Relu6, Func<Architecture, int, LayerChoice> Choose)
{
    /// <summary>A searchable layer at full width: channels, stride, and the distinct blocks it may run.</summary>
    public sealed record Layer(int In, int Out, int Stride, IReadOnlyList<(int Kernel, int Expansion)> Blocks);

    /// <summary>NAS-Bench-Macro: stem 3x3/1, identity (1x1 conv + BN where it downsamples) or MBConv, ReLU.</summary>
    public static MacroPlan For(NasBenchMacroSpace space) => new(
        3, NasBenchMacroSpace.StemChannels, 1, false, 0,
        NasBenchMacroSpace.Layers.Select(l => new Layer(l.In, l.Out, l.Stride, [KernelFirst(1), KernelFirst(2)])).ToArray(),
        NasBenchMacroSpace.HeadChannels, NasBenchMacroSpace.Classes, false,
        (a, i) => new LayerChoice(a[i] == 0 ? null : KernelFirst(a[i]), NasBenchMacroSpace.Layers[i].Out));

    private static (int Kernel, int Expansion) KernelFirst(int option)
    {
        var (expansion, kernel) = NasBenchMacroSpace.Block(option);
        return (kernel, expansion);
    }

    /// <summary>MobileNetV2: stem 3x3/2, a fixed expansion-1 block, MBConv or skip per layer, width choices, ReLU6.</summary>
    public static MacroPlan For(MobileNetV2Space space)
    {
        var o = space.Options;
        var blocks = o.Kernels.SelectMany(k => o.Expansions.Select(e => (k, e))).ToArray();
        return new MacroPlan(o.InputChannels, o.StemChannels, 2, true, o.FirstBlockChannels,
            space.LayerSpecs.Select(l => new Layer(l.In, l.Out, l.Stride, blocks)).ToArray(), o.LastChannels, o.Classes, true,
            (a, i) => new LayerChoice(space.Block(a, i), space.OutputChannels(a, i)));
    }
}
