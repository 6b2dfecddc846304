using System.Collections.Immutable;

namespace KShotNas.Spaces;

/// <summary>
/// NAS-Bench-Macro: 8 searchable layers in stages of 2, 3, 3 (32->64->128->256 channels, the first layer of
/// each stage with stride 2), each an identity (0), an MBConv with expansion 3 and kernel 3 (1) or with
/// expansion 6 and kernel 5 (2); 3^8 = 6,561 architectures written as 8 digits, e.g. "22212220".
/// </summary>
public sealed class NasBenchMacroSpace : SearchSpace
{
    /// <summary>Option names by code.</summary>
    public static readonly ImmutableArray<string> Operations = ["identity", "mb_e3_k3", "mb_e6_k5"];

    /// <summary>(expansion, kernel) of options 1 and 2.</summary>
    public static (int Expansion, int Kernel) Block(int option) => option switch
    {
        1 => (3, 3),
        2 => (6, 5),
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, "Only options 1 and 2 are blocks."),
    };

    /// <summary>(input channels, output channels, stride) of each searchable layer.</summary>
    public static readonly ImmutableArray<(int In, int Out, int Stride)> Layers =
        [(32, 64, 2), (64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 256, 1)];

    /// <summary>Stem width, head width, input size and classes of the benchmark.</summary>
    public const int StemChannels = 32, HeadChannels = 1280, InputSize = 32, Classes = 10;

    /// <summary>Creates the space.</summary>
    public NasBenchMacroSpace() : base("nas-bench-macro", Layers.Select((_, i) => new Decision($"layer {i}", Operations)).ToArray()) { }

    /// <inheritdoc />
    public override (int Channels, int Height, int Width, int Classes) InputShape => (3, InputSize, InputSize, Classes);

    /// <inheritdoc />
    public override string Format(Architecture a)
    {
        Validate(a);
        return string.Concat(a.Choices.Select(c => (char)('0' + c)));
    }

    /// <inheritdoc />
    public override Architecture Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length != Layers.Length) throw new ArchitectureFormatException(Name, text, $"expected {Layers.Length} digits");
        if (text.Any(ch => ch is < '0' or > '2')) throw new ArchitectureFormatException(Name, text, "every digit must be 0, 1 or 2");
        return new Architecture(text.Select(ch => ch - '0'));
    }

    /// <inheritdoc />
    public override NetworkProfile Profile(Architecture a)
    {
        Validate(a);
        var cost = new CostCounter();
        long size = InputSize;
        cost.Conv(3, StemChannels, 3, size, size).BatchNorm(StemChannels);
        for (var i = 0; i < Layers.Length; i++)
        {
            var (inC, outC, stride) = Layers[i];
            var outSize = stride == 2 ? size / 2 : size;
            if (a[i] == 0)
            {
                if (stride != 1 || inC != outC) cost.Conv(inC, outC, 1, outSize, outSize).BatchNorm(outC);
            }
            else
            {
                var (t, k) = Block(a[i]);
                var hidden = inC * t;
                cost.Conv(inC, hidden, 1, size, size).BatchNorm(hidden);
                cost.Conv(hidden, hidden, k, outSize, outSize, groups: hidden).BatchNorm(hidden);
                cost.Conv(hidden, outC, 1, outSize, outSize).BatchNorm(outC);
            }
            size = outSize;
        }
        cost.Conv(Layers[^1].Out, HeadChannels, 1, size, size).BatchNorm(HeadChannels).Linear(HeadChannels, Classes);
        return cost.Result;
    }
}
