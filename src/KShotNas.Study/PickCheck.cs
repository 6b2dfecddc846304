using System.Globalization;
using System.Text;
using KShotNas.Ranking;

namespace KShotNas.Study;

/// <summary>The roles of cells in the end-to-end pick check.</summary>
public static class PickCheckRole
{
    /// <summary>The main job's pick.</summary>
    public const string Pick = "pick";
    /// <summary>One of the best reference cells under the FLOPs budget.</summary>
    public const string BestReference = "best-reference";
    /// <summary>A random cell under the FLOPs budget, drawn as random search draws.</summary>
    public const string Random = "random";
}

/// <summary>One retraining of the pick check: a cell in a role, one seed, its test accuracy.</summary>
public sealed record PickCheckRow(string Role, string Arch, long Flops, long Params, double? ReferenceAccuracy, int Seed, double TestAccuracy, double Seconds)
{
    /// <summary>The CSV header.</summary>
    public const string Header = "role,arch,flops,params,reference_accuracy,seed,test_accuracy,seconds";

    /// <summary>The row as CSV (NB201 cell strings hold no commas).</summary>
    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Role},{Arch},{Flops},{Params},{(ReferenceAccuracy is { } r ? r.ToString("R", CultureInfo.InvariantCulture) : "")},{Seed},{TestAccuracy:R},{Seconds:F1}");

    /// <summary>Parses a CSV line written by <see cref="ToCsv"/>; throws <see cref="FormatException"/> naming the line otherwise.</summary>
    public static PickCheckRow Parse(string line, int lineNo)
    {
        var f = line.Split(',');
        try
        {
            if (f.Length != 8) throw new FormatException($"expected 8 fields, found {f.Length}");
            var inv = CultureInfo.InvariantCulture;
            return new PickCheckRow(f[0], f[1], long.Parse(f[2], inv), long.Parse(f[3], inv), f[4].Length == 0 ? null : double.Parse(f[4], inv),
                int.Parse(f[5], inv), double.Parse(f[6], inv), double.Parse(f[7], inv));
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new FormatException($"pick-check line {lineNo}: {e.Message}: {line}", e);
        }
    }
}

/// <summary>
/// The pick check's summary: the pick's test accuracy over seeds against the median random cell under the budget
/// and against the best reference cells, each difference with its standard error (sample sd over seeds, pooled).
/// </summary>
public static class PickCheckTable
{
    // Mean and sample sd over seeds through the study's Spread; one seed counts as no spread (sd 0) here.
    private static (double Mean, double Sd) MeanSd(IEnumerable<double> values)
    {
        var s = Spread.Of(values);
        return (s.Mean, s.Count == 1 ? 0 : s.StdDev);
    }

    // NB201 cells are written with '|', which would split a Markdown table cell.
    private static string Cell(string arch) => arch.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>The Markdown table of every cell (mean over its seeds) and the comparisons.</summary>
    public static string Markdown(IReadOnlyList<PickCheckRow> rows, long flopsBudget)
    {
        var inv = CultureInfo.InvariantCulture;
        var cells = rows.GroupBy(r => (r.Role, r.Arch)).Select(g =>
        {
            var (m, sd) = MeanSd(g.Select(r => r.TestAccuracy).ToList());
            return (g.Key.Role, g.Key.Arch, g.First().Flops, g.First().Params, g.First().ReferenceAccuracy, Seeds: g.Select(r => r.Seed).OrderBy(s => s).ToList(),
                Mean: m, Sd: sd, Values: g.Select(r => r.TestAccuracy).ToList());
        }).OrderBy(c => c.Role switch { PickCheckRole.Pick => 0, PickCheckRole.BestReference => 1, _ => 2 }).ThenByDescending(c => c.Mean).ToList();
        var md = new StringBuilder();
        md.Append(inv, $"FLOPs budget {flopsBudget:N0}. Test accuracy on the Fashion-MNIST test split after retraining with the main job's recipe; mean ± sample sd over seeds.\n\n");
        md.Append("| role | cell | FLOPs | share of budget | params | reference accuracy | seeds | test accuracy |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var c in cells)
            md.Append(inv, $"| {c.Role} | `{Cell(c.Arch)}` | {c.Flops:N0} | {(double)c.Flops / flopsBudget:P0} | {c.Params:N0} | {(c.ReferenceAccuracy is { } r ? r.ToString("P2", inv) : "-")} | {string.Join(" ", c.Seeds)} | {c.Mean:P2}{(c.Values.Count > 1 ? $" ± {c.Sd:P2}" : "")} |\n");
        var pick = cells.Where(c => c.Role == PickCheckRole.Pick).SelectMany(c => c.Values).ToList();
        var random = cells.Where(c => c.Role == PickCheckRole.Random).ToList();
        var best = cells.Where(c => c.Role == PickCheckRole.BestReference).ToList();
        md.Append('\n');
        if (pick.Count == 0) return md.Append("No pick rows yet.\n").ToString();
        var (pm, psd) = MeanSd(pick);
        if (random.Count > 0)
        {
            var median = Metrics.Median(random.Select(c => c.Mean));
            var beaten = random.Count(c => pm > c.Mean);
            md.Append(inv, $"- Pick {pm:P2} against the median of {random.Count} random cells under the budget {median:P2}: **{(pm - median) * 100:+0.00;-0.00} points**; ")
              .Append(inv, $"the pick beats {beaten} of {random.Count} (random cells range {random.Min(c => c.Mean):P2} to {random.Max(c => c.Mean):P2}).\n");
        }
        if (best.Count > 0)
        {
            var top = best.MaxBy(c => c.Mean);
            var se = Math.Sqrt(psd * psd / pick.Count + top.Sd * top.Sd / top.Values.Count);
            md.Append(inv, $"- Pick against the best reference cell under the budget (`{Cell(top.Arch)}`, {top.Mean:P2}): {(pm - top.Mean) * 100:+0.00;-0.00} points, ")
              .Append(se > 0
                  ? string.Create(inv, $"standard error {se * 100:F2} points ({Math.Abs(pm - top.Mean) / se:F1} standard errors).\n")
                  : "no standard error (one seed each).\n");
        }
        return md.ToString();
    }
}
