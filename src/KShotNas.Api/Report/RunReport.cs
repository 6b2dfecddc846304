using System.Globalization;
using System.Text;
using KShotNas.Spaces;

namespace KShotNas.Api.Report;

/// <summary>The main job's HTML report: a summary table and the pictures (training curves, Pareto front, codes, chosen cell).</summary>
public static class RunReport
{
    /// <summary>Writes index.html into <paramref name="directory"/>.</summary>
    public static string Write(string directory, KShotNasModel model, NasRecipe recipe, PipelineRecord record,
        IReadOnlyList<(string Key, string Value)> summary) =>
        Write(directory, model.Space, model.Architecture, model.SearchReport, recipe, record, summary);

    /// <summary>Writes index.html into <paramref name="directory"/> for a found <paramref name="architecture"/> of <paramref name="space"/>.</summary>
    public static string Write(string directory, SearchSpace space, Architecture architecture, KShotNas.Search.SearchResult? searchReport,
        NasRecipe recipe, PipelineRecord record, IReadOnlyList<(string Key, string Value)> summary)
    {
        Directory.CreateDirectory(directory);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>KShotNas run</title><style>")
            .Append("body{font-family:sans-serif;max-width:1000px;margin:24px auto;color:#222}h1{margin-bottom:4px}")
            .Append("table{border-collapse:collapse}td{padding:4px 12px;border-bottom:1px solid #ddd}td:first-child{color:#555}")
            .Append("figure{margin:24px 0}figcaption{color:#555;font-size:13px}</style></head><body>");
        html.Append("<h1>KShotNas run</h1><p>").Append(Svg.Escape($"{(recipe.Space is { } sp ? SpaceCatalog.Describe(sp) : "default space")}, {recipe.Method.Name}, {recipe.SearchStrategy} search")).Append("</p><table>");
        foreach (var (k, v) in summary) html.Append("<tr><td>").Append(Svg.Escape(k)).Append("</td><td>").Append(Svg.Escape(v)).Append("</td></tr>");
        html.Append("</table>");
        void Figure(string svg, string caption) => html.Append("<figure>").Append(svg).Append("<figcaption>").Append(Svg.Escape(caption)).Append("</figcaption></figure>");
        Figure(space is Nb201Space ? Svg.Nb201Cell(architecture) : Svg.DecisionList(space, architecture),
            $"The chosen architecture: {space.Format(architecture)}");
        Figure(Svg.LineChart("Supernet training loss", "cross-entropy (moving average)", [("supernet", record.SupernetLosses, "#1f4e8c")], smooth: 20),
            "Supernet steps (K-shot alternates supernet and simplex-net steps after warm-up).");
        Figure(Svg.LineChart("Retraining of the chosen architecture", "loss / accuracy",
            [("loss", record.Retraining.Select(p => p.Loss).ToList(), "#b33"), ("train accuracy", record.Retraining.Select(p => p.Accuracy).ToList(), "#3b8c5a")]),
            "Reported every 50 steps.");
        if (searchReport is { } search)
            Figure(search.Svg(recipe.MaxFlops), "Every candidate scored by the supernet; line: accuracy/FLOPs Pareto front; dashed: FLOPs budget.");
        if (record.Codes is { } codes)
            Figure(codes.Svg($"K-shot codes of the {codes.Codes.Length} search candidates (K = {codes.K})"), codes.Summary());
        html.Append(CultureInfo.InvariantCulture, $"<p style=\"color:#777\">Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC by kshotnas run.</p></body></html>");
        var path = Path.Combine(directory, "index.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }
}
