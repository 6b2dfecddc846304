using System.Globalization;

namespace KShotNas.Spaces;

/// <summary>
/// Text descriptors of spaces with their sizes, so files (checkpoints, score tables) can name the exact
/// space they belong to: "nb201:C=8,N=1,in=1,size=28,classes=10", "nas-bench-macro",
/// "mobilenetv2:imagenet", "mobilenetv2:fashion-small".
/// </summary>
public static class SpaceCatalog
{
    /// <summary>The descriptor of a space.</summary>
    public static string Describe(SearchSpace space) => space switch
    {
        Nb201Space s => FormattableString.Invariant(
            $"nb201:C={s.Options.C},N={s.Options.N},in={s.Options.InputChannels},size={s.Options.InputSize},classes={s.Options.Classes}"),
        NasBenchMacroSpace => "nas-bench-macro",
        MobileNetV2Space m when m.Options == new MobileNetV2Options() => "mobilenetv2:imagenet",
        MobileNetV2Space m when m.Options == MobileNetV2Options.FashionMnistSmall => "mobilenetv2:fashion-small",
        _ => throw new NotSupportedException($"No descriptor for space {space.Name} with these options."),
    };

    /// <summary>Creates the space a descriptor names; "nb201" alone is the published C=16, N=5 skeleton.</summary>
    public static SearchSpace Create(string descriptor)
    {
        var (name, args) = descriptor.IndexOf(':') is var i and >= 0 ? (descriptor[..i], descriptor[(i + 1)..]) : (descriptor, "");
        switch (name)
        {
            case "nb201":
                if (args == "fashion-small") return new Nb201Space(Nb201Options.FashionMnistSmall);
                var o = new Nb201Options();
                foreach (var kv in args.Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    var parts = kv.Split('=');
                    if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
                        throw new FormatException($"Bad NB201 setting '{kv}' in '{descriptor}' (expected key=integer).");
                    o = parts[0] switch
                    {
                        "C" => o with { C = v },
                        "N" => o with { N = v },
                        "in" => o with { InputChannels = v },
                        "size" => o with { InputSize = v },
                        "classes" => o with { Classes = v },
                        _ => throw new FormatException($"Unknown NB201 setting '{parts[0]}' in '{descriptor}' (C, N, in, size, classes)."),
                    };
                }
                return new Nb201Space(o);
            case "nas-bench-macro" when args == "":
                return new NasBenchMacroSpace();
            case "mobilenetv2" when args is "" or "imagenet":
                return new MobileNetV2Space();
            case "mobilenetv2" when args == "fashion-small":
                return new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall);
            default:
                throw new FormatException($"Unknown space '{descriptor}' (known: nb201[:C=..,N=..,in=..,size=..,classes=..|fashion-small], "
                                          + "nas-bench-macro, mobilenetv2[:imagenet|fashion-small]).");
        }
    }
}
