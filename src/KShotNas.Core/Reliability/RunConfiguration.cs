using System.Text.Json;

namespace KShotNas.Reliability;

/// <summary>
/// The labelled settings a run's saved state depends on (data size, evaluator identity, limits, options). A resumed
/// run compares its own with the saved ones and refuses to mix results when any differ, naming each difference.
/// </summary>
public sealed class RunConfiguration
{
    private readonly SortedDictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>An empty configuration.</summary>
    public RunConfiguration() { }

    /// <summary>A configuration from name/value pairs.</summary>
    public RunConfiguration(IEnumerable<KeyValuePair<string, string>> values)
    {
        foreach (var (k, v) in values) _values[k] = v;
    }

    /// <summary>The settings by name.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>Sets <paramref name="name"/> (invariant-culture text of <paramref name="value"/>; null is "none").</summary>
    public RunConfiguration Set(string name, object? value)
    {
        _values[name] = value switch
        {
            null => "none",
            double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "none",
        };
        return this;
    }

    /// <summary>The settings as a JSON object.</summary>
    public string ToJson() => JsonSerializer.Serialize(_values);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    public static RunConfiguration FromJson(string json) =>
        new(JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? throw new InvalidDataException("Empty run configuration."));

    /// <summary>"name: saved X, now Y" for every setting that differs (or that only one side has).</summary>
    public IReadOnlyList<string> Differences(RunConfiguration now)
    {
        var list = new List<string>();
        foreach (var name in _values.Keys.Union(now._values.Keys).Order(StringComparer.Ordinal))
        {
            var saved = _values.GetValueOrDefault(name, "(not recorded)");
            var current = now._values.GetValueOrDefault(name, "(not recorded)");
            if (saved != current) list.Add($"{name}: saved {saved}, now {current}");
        }
        return list;
    }

    /// <summary>Throws <see cref="ConfigMismatchException"/> when <paramref name="now"/> differs from these saved settings.</summary>
    public void EnsureSameAs(RunConfiguration now, string what)
    {
        var d = Differences(now);
        if (d.Count > 0) throw new ConfigMismatchException(what, d);
    }

    /// <summary>A short content fingerprint of a file (size and SHA-256 prefix), to identify an evaluator or data file.</summary>
    public static string FileIdentity(string path)
    {
        using var stream = File.OpenRead(path);
        var hash = System.Security.Cryptography.SHA256.HashData(stream);
        return $"{stream.Length} bytes, sha256 {Convert.ToHexStringLower(hash)[..16]}";
    }
}
