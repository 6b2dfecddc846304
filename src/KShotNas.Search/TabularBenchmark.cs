using System.Globalization;
using System.Text.Json;
using KShotNas.Spaces;

namespace KShotNas.Search;

/// <summary>A benchmark table is malformed; the message names the file and the problem.</summary>
public sealed class TableFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public TableFormatException(string path, string problem) : base($"{path}: {problem}") { }
}

/// <summary>
/// A tabular benchmark (architecture -> accuracy, params, FLOPs) used as an evaluator, so strategies can be compared
/// offline. Loads the NAS-Bench-Macro JSON layout (key: architecture; value: mean_acc, params, flops) or CSV
/// <c>arch,accuracy[,params,flops]</c> with <c>arch</c> in the space's string form (missing costs come from the
/// space's profiler).
/// </summary>
public sealed class TabularBenchmark : IArchitectureEvaluator
{
    private readonly Dictionary<Architecture, Evaluation> _rows;

    private TabularBenchmark(SearchSpace space, string path, Dictionary<Architecture, Evaluation> rows)
    {
        Space = space;
        Path = path;
        _rows = rows;
        Best = rows.MaxBy(r => r.Value.Accuracy);
        var sorted = rows.Values.Select(v => v.Accuracy).OrderDescending().ToArray();
        TopOnePercentThreshold = sorted[Math.Max(0, (int)Math.Ceiling(sorted.Length * 0.01) - 1)];
    }

    /// <summary>The space of the table's architectures.</summary>
    public SearchSpace Space { get; }
    /// <summary>Where it was loaded from.</summary>
    public string Path { get; }
    /// <summary>Number of rows.</summary>
    public int Count => _rows.Count;
    /// <summary>The most accurate row.</summary>
    public KeyValuePair<Architecture, Evaluation> Best { get; }
    /// <summary>The accuracy of the worst architecture in the table's top 1%.</summary>
    public double TopOnePercentThreshold { get; }
    /// <summary>All rows.</summary>
    public IReadOnlyDictionary<Architecture, Evaluation> Rows => _rows;

    /// <summary>Loads a .json (NAS-Bench-Macro layout) or .csv table.</summary>
    public static TabularBenchmark Load(string path, SearchSpace space)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Benchmark table not found: {path}", path);
        var rows = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ReadJson(path, space) : ReadCsv(path, space);
        if (rows.Count == 0) throw new TableFormatException(path, "the table has no rows");
        return new TabularBenchmark(space, path, rows);
    }

    private static Dictionary<Architecture, Evaluation> ReadJson(string path, SearchSpace space)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new TableFormatException(path, "not valid JSON: " + e.Message); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new TableFormatException(path, "expected an object keyed by architecture");
            var rows = new Dictionary<Architecture, Evaluation>();
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                Architecture a;
                try { a = space.Parse(entry.Name); }
                catch (FormatException e) { throw new TableFormatException(path, e.Message); }
                try
                {
                    var v = entry.Value;
                    var acc = v.GetProperty("mean_acc").GetDouble();
                    if (!double.IsFinite(acc)) throw new TableFormatException(path, $"entry '{entry.Name}': mean_acc is not a finite number");
                    rows[a] = new Evaluation(acc, v.GetProperty("flops").GetInt64(), v.GetProperty("params").GetInt64());
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new TableFormatException(path, $"entry '{entry.Name}' needs numeric mean_acc, params and flops ({e.Message})");
                }
            }
            return rows;
        }
    }

    private static Dictionary<Architecture, Evaluation> ReadCsv(string path, SearchSpace space)
    {
        var rows = new Dictionary<Architecture, Evaluation>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || (lineNo == 1 && line.StartsWith("arch,", StringComparison.OrdinalIgnoreCase))) continue;
            var cells = line.Split(',');
            if (cells.Length is not (2 or 4)) throw new TableFormatException(path, $"line {lineNo}: expected arch,accuracy[,params,flops]");
            Architecture a;
            try { a = space.Parse(cells[0]); }
            catch (FormatException e) { throw new TableFormatException(path, $"line {lineNo}: {e.Message}"); }
            if (!double.TryParse(cells[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var acc))
                throw new TableFormatException(path, $"line {lineNo}: accuracy '{cells[1]}' is not a number");
            // NaN or Infinity would win every comparison or none: a table must hold finite accuracies.
            if (!double.IsFinite(acc)) throw new TableFormatException(path, $"line {lineNo}: accuracy '{cells[1]}' is not a finite number");
            long parameters, flops;
            if (cells.Length == 4)
            {
                if (!long.TryParse(cells[2], CultureInfo.InvariantCulture, out parameters) || !long.TryParse(cells[3], CultureInfo.InvariantCulture, out flops))
                    throw new TableFormatException(path, $"line {lineNo}: params and flops must be integers");
            }
            else
            {
                var p = space.Profile(a);
                (parameters, flops) = (p.Params, p.Flops);
            }
            if (!rows.TryAdd(a, new Evaluation(acc, flops, parameters)))
                throw new TableFormatException(path, $"line {lineNo}: architecture '{cells[0]}' appears twice");
        }
        return rows;
    }

    /// <inheritdoc />
    public IReadOnlyList<Evaluation> Evaluate(IReadOnlyList<Architecture> architectures, CancellationToken cancellationToken = default) =>
        architectures.Select(a => _rows.TryGetValue(a, out var e)
            ? e
            : throw new KeyNotFoundException($"Architecture '{Space.Format(a)}' is not in the table {Path}.")).ToArray();
}
