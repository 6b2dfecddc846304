using System.Globalization;
using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Serialization;

namespace KShotNas.Supernets;

/// <summary>
/// Builds supernets from a description and reads their weights from files. Every supernet file (and every
/// training checkpoint) carries the space descriptor, K, the norm mode and the few-shot split in its
/// metadata, and the weights under "supernet/".
/// </summary>
public static class SupernetFile
{
    /// <summary>Layout version of supernet files (v2: K copies stacked in one [K, ...] parameter per slot).</summary>
    public const string Format = "kshotnas-supernet-v2";

    /// <summary>Prefix of the supernet's tensors in a file.</summary>
    public const string Prefix = "supernet/";

    /// <summary>Prefix of the simplex-net's tensors in a file.</summary>
    public const string SimplexPrefix = "simplex/";

    /// <summary>The metadata that rebuilds <paramref name="supernet"/>'s structure.</summary>
    public static Dictionary<string, string> Describe(Supernet supernet)
    {
        var d = new Dictionary<string, string>
        {
            ["space_config"] = SpaceCatalog.Describe(supernet.Space),
            ["k"] = supernet.Weights.K.ToString(CultureInfo.InvariantCulture),
            ["norm"] = supernet.Norms.Mode.ToString(),
            ["few_shot_split"] = (supernet is FewShotSupernet f ? f.SplitDecision : -1).ToString(CultureInfo.InvariantCulture),
        };
        if (supernet.Simplex is { } s)
        {
            d["simplex_hidden"] = s.Hidden.ToString(CultureInfo.InvariantCulture);
            d["simplex_temperature"] = s.Temperature.ToString("R", CultureInfo.InvariantCulture);
        }
        return d;
    }

    /// <summary>
    /// A new supernet for <paramref name="space"/> with <paramref name="k"/> weight copies; <paramref name="fewShotSplit"/> &gt;= 0
    /// makes a few-shot one. K-shot supernets (K &gt; 1) need a simplex-net attached (<see cref="Supernet.Simplex"/>).
    /// </summary>
    public static Supernet Create(SearchSpace space, int k = 1, SupernetNorm norm = SupernetNorm.BatchStatistics, int fewShotSplit = -1)
    {
        Supernet One() => space switch
        {
            Nb201Space nb => new Nb201Supernet(nb, k, norm),
            NasBenchMacroSpace macro => new MacroSupernet(macro, k, norm),
            MobileNetV2Space mobile => new MacroSupernet(mobile, k, norm),
            _ => throw new NotSupportedException($"No supernet is implemented yet for space '{space.Name}'."),
        };
        return fewShotSplit >= 0 ? new FewShotSupernet(space, fewShotSplit, One, norm) : One();
    }

    /// <summary>
    /// Reads a supernet (structure and weights) from a supernet file or training checkpoint. <paramref name="norm"/>
    /// evaluates it with another batch-norm mode than it was trained with: the weights are the same (training always
    /// normalizes with batch statistics), only the running statistics differ, and a recalibrated supernet fills them per
    /// path before scoring, so a batch-statistics checkpoint can be scored with recalibration and vice versa.
    /// </summary>
    public static Supernet Load(string path, SupernetNorm? norm = null)
    {
        using var file = SafeTensors.Load(path);
        var m = file.Metadata;
        if (m.TryGetValue("layout", out var layout) ? layout != Format : true)
            throw new InvalidDataException($"{path} was written with supernet layout '{(layout ?? "unknown")}', this version reads '{Format}'; "
                                           + "retrain the supernet (or use the KShotNas version that wrote it).");
        foreach (var key in new[] { "space_config", "k", "norm", "few_shot_split" })
            if (!m.ContainsKey(key)) throw new InvalidDataException($"{path} is not a KShotNas supernet file (metadata '{key}' missing).");
        var trained = Enum.Parse<SupernetNorm>(m["norm"]);
        var supernet = Create(SpaceCatalog.Create(m["space_config"]), int.Parse(m["k"], CultureInfo.InvariantCulture),
            norm ?? trained, int.Parse(m["few_shot_split"], CultureInfo.InvariantCulture));
        try
        {
            var weights = Weights(file);
            if ((norm ?? trained) == trained)
            {
                supernet.LoadStateDict(weights);
            }
            else
            {
                // Only the norm sites' running statistics may be missing or left over; every weight must match.
                static bool IsStatistic(string name) => name.Contains("norms.", StringComparison.Ordinal);
                var own = supernet.StateDict();
                var missing = own.Keys.Where(k => !weights.ContainsKey(k) && !IsStatistic(k)).ToList();
                var extra = weights.Keys.Where(k => !own.ContainsKey(k) && !IsStatistic(k)).ToList();
                if (missing.Count > 0 || extra.Count > 0)
                    throw new InvalidDataException($"{path}: weights do not match the supernet ({missing.Count} missing, {extra.Count} unexpected).");
                supernet.LoadStateDict(weights, strict: false);
            }
            if (m.TryGetValue("simplex_hidden", out var hidden))
            {
                supernet.Simplex = new SimplexNet(supernet.Space, supernet.Weights.K, int.Parse(hidden, CultureInfo.InvariantCulture),
                    double.Parse(m["simplex_temperature"], CultureInfo.InvariantCulture));
                supernet.Simplex.LoadStateDict(file.Tensors.Where(kv => kv.Key.StartsWith(SimplexPrefix))
                    .ToDictionary(kv => kv.Key[SimplexPrefix.Length..], kv => kv.Value));
            }
        }
        catch
        {
            supernet.Dispose();
            throw;
        }
        return supernet;
    }

    /// <summary>Writes a supernet's structure and weights atomically.</summary>
    public static void Save(string path, Supernet supernet, IReadOnlyDictionary<string, Tensor>? extraTensors = null,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var tensors = supernet.StateDict().ToDictionary(kv => Prefix + kv.Key, kv => kv.Value);
        if (supernet.Simplex is { } simplex)
            foreach (var (k, v) in simplex.StateDict()) tensors[SimplexPrefix + k] = v;
        if (extraTensors is not null) foreach (var (k, v) in extraTensors) tensors[k] = v;
        var meta = Describe(supernet);
        meta["format"] = Format;
        meta["layout"] = Format;
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) meta[k] = v;
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>The supernet tensors of a loaded file, without the prefix.</summary>
    public static Dictionary<string, Tensor> Weights(TensorFile file) =>
        file.Tensors.Where(kv => kv.Key.StartsWith(Prefix)).ToDictionary(kv => kv.Key[Prefix.Length..], kv => kv.Value);
}
