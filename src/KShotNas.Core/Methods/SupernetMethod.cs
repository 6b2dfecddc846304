using System.Globalization;
using KShotNas.Data;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Training;

namespace KShotNas.Methods;

/// <summary>
/// A supernet training method as one component (as NNI gives each one-shot method its class): how its steps sample paths,
/// the rules it puts on the shared training options, what it builds (one supernet, sub-supernets, K weight copies with a
/// simplex-net) and how it trains what it built. <see cref="SupernetTrainer"/> keeps the training loop. A new method is
/// one subclass here and its tests (docs/architecture.md).
/// </summary>
public abstract class SupernetMethod
{
    /// <summary>The method's text form, read back by <see cref="Parse"/> (e.g. "fairnas", "kshot:4", "fewshot:0").</summary>
    public abstract string Name { get; }

    /// <summary>How each training step picks its paths.</summary>
    public abstract PathSampling Sampling { get; }

    /// <summary>Weight copies per slot (K-shot's K; 1 for one-shot methods).</summary>
    public virtual int K => 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the broken rule when <paramref name="options"/> do not go with this method.</summary>
    public virtual void Validate(SupernetTrainerOptions options) => ArgumentNullException.ThrowIfNull(options);

    /// <summary>A new, untrained supernet of <paramref name="space"/> as this method trains it.</summary>
    public virtual Supernet Build(SearchSpace space, SupernetNorm norm = SupernetNorm.BatchStatistics) => SupernetFile.Create(space, K, norm);

    /// <summary>A copy of <paramref name="options"/> with this method's sampling, validated.</summary>
    public SupernetTrainerOptions Configure(SupernetTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configured = options.Clone();
        configured.Sampling = Sampling;
        Adjust(configured);
        Validate(configured);
        return configured;
    }

    /// <summary>What the method sets on its copy of the options besides the sampling (K-shot: its simplex-net settings).</summary>
    protected virtual void Adjust(SupernetTrainerOptions options) { }

    /// <summary>Trains <paramref name="supernet"/> (built by <see cref="Build"/>) with <paramref name="options"/> configured by this method.</summary>
    public virtual SupernetTrainingResult Train(Supernet supernet, IImageBatches train, SupernetTrainerOptions options,
        IProgress<SupernetProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new SupernetTrainer(Configure(options)).Fit(supernet, train, progress, cancellationToken);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The one-shot method of a path sampling.</summary>
    public static SupernetMethod Of(PathSampling sampling) => sampling switch
    {
        PathSampling.Spos => new SposMethod(),
        PathSampling.FairNas => new FairNasMethod(),
        PathSampling.Sandwich => new SandwichMethod(),
        _ => throw new ArgumentOutOfRangeException(nameof(sampling), sampling, "Unknown path sampling."),
    };

    /// <summary>
    /// The method the command line's switches name: <paramref name="k"/> &gt; 1 is K-shot over <paramref name="sampling"/>,
    /// <paramref name="fewShotSplit"/> few-shot over it; the two are not combined.
    /// </summary>
    public static SupernetMethod From(PathSampling sampling, int k = 1, int? fewShotSplit = null, double simplexTemperature = KShotMethod.DefaultTemperature)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "K must be at least 1.");
        if (k > 1 && fewShotSplit is not null) throw new ArgumentException("K-shot and few-shot training are not combined.", nameof(fewShotSplit));
        if (k > 1) return new KShotMethod(k, sampling) { Temperature = simplexTemperature };
        return fewShotSplit is { } split ? new FewShotMethod(split, sampling) : Of(sampling);
    }

    /// <summary>
    /// Reads a method's text form: spos, fairnas, sandwich, kshot:K[:sampling], fewshot:DECISION[:sampling]
    /// (sampling: spos, fairnas or sandwich; default fairnas).
    /// </summary>
    public static SupernetMethod Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var parts = text.Trim().ToLowerInvariant().Split(':');
        PathSampling Sampling(int i) => parts.Length > i ? ParseSampling(parts[i], text) : PathSampling.FairNas;
        int Number(string what) => parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : throw new FormatException($"'{text}': {parts[0]} needs {what}, e.g. {parts[0]}:{(parts[0] == "kshot" ? 4 : 0)}.");
        return parts[0] switch
        {
            "kshot" when parts.Length <= 3 => new KShotMethod(Number("K"), Sampling(2)),
            "fewshot" when parts.Length <= 3 => new FewShotMethod(Number("a decision index"), Sampling(2)),
            _ when parts.Length == 1 => Of(ParseSampling(parts[0], text)),
            _ => throw new FormatException($"'{text}' is not a supernet method (spos, fairnas, sandwich, kshot:K[:sampling], fewshot:DECISION[:sampling])."),
        };
    }

    private static PathSampling ParseSampling(string name, string text) => name switch
    {
        "spos" => PathSampling.Spos,
        "fairnas" => PathSampling.FairNas,
        "sandwich" => PathSampling.Sandwich,
        _ => throw new FormatException($"'{text}': '{name}' is not a path sampling (spos, fairnas, sandwich)."),
    };

    private protected static string SamplingName(PathSampling sampling) => sampling.ToString().ToLowerInvariant();
}
