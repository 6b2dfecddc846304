using System.Globalization;
using System.Text;
using KShotNas.Spaces;

namespace KShotNas.Api.Report;

/// <summary>Small SVG pictures for the run report.</summary>
public static class Svg
{
    /// <summary>A line chart of one or more series (x: index), each smoothed by a moving average of <paramref name="smooth"/>.</summary>
    public static string LineChart(string title, string yLabel, IReadOnlyList<(string Name, IReadOnlyList<double> Values, string Color)> series, int smooth = 1)
    {
        const int w = 640, h = 300, left = 60, right = 20, top = 40, bottom = 40;
        var smoothed = series.Select(s => (s.Name, Values: Smooth(s.Values, smooth), s.Color)).Where(s => s.Values.Count > 0).ToList();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.Append($"<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"{left}\" y=\"22\" font-size=\"15\">{Escape(title)}</text>");
        if (smoothed.Count == 0) return sb.Append("</svg>").ToString();
        var n = smoothed.Max(s => s.Values.Count);
        double min = smoothed.Min(s => s.Values.Min()), max = smoothed.Max(s => s.Values.Max());
        if (max == min) max = min + 1;
        double X(int i) => left + (double)i / Math.Max(1, n - 1) * (w - left - right);
        double Y(double v) => top + (1 - (v - min) / (max - min)) * (h - top - bottom);
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{w - right}\" y2=\"{h - bottom}\" stroke=\"#333\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"#333\"/>");
        for (var i = 0; i <= 4; i++)
        {
            var v = min + (max - min) * i / 4;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"{Y(v) + 4:F0}\">{v:G3}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{w / 2 - 20}\" y=\"{h - 12}\">step</text><text x=\"{w - right - 80}\" y=\"{h - 12}\">{n} points</text>");
        var legendY = top + 4;
        foreach (var (name, values, color) in smoothed)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\" points=\"")
              .Append(string.Join(" ", values.Select((v, i) => FormattableString.Invariant($"{X(i):F1},{Y(v):F1}")))).Append("\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{w - right - 170}\" y=\"{legendY += 14}\" fill=\"{color}\">{Escape(name)}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + 6}\" y=\"{top - 6}\" fill=\"#555\">{Escape(yLabel)}</text></svg>");
        return sb.ToString();
    }

    private static List<double> Smooth(IReadOnlyList<double> v, int k)
    {
        if (k <= 1) return v.ToList();
        var result = new List<double>();
        for (var i = 0; i + k <= v.Count; i += Math.Max(1, k / 4)) result.Add(v.Skip(i).Take(k).Average());
        return result;
    }

    /// <summary>The NB201 cell as a DAG: 4 nodes, every edge labelled with its operation ('none' edges dashed grey).</summary>
    public static string Nb201Cell(Architecture a)
    {
        const int w = 640, h = 260;
        (double X, double Y)[] node = [(60, 130), (240, 50), (400, 210), (580, 130)];
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        foreach (var (to, from) in Nb201Space.Edges)
        {
            var op = Nb201Space.Operations[a[Nb201Space.EdgeIndex(to, from)]];
            var (x1, y1) = node[from];
            var (x2, y2) = node[to];
            var none = op == "none";
            var color = op switch { "nor_conv_3x3" => "#1f4e8c", "nor_conv_1x1" => "#3b8c5a", "avg_pool_3x3" => "#b36b00", "skip_connect" => "#7a3b8c", _ => "#bbb" };
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{color}\" stroke-width=\"{(none ? 1 : 3)}\"{(none ? " stroke-dasharray=\"4,4\"" : "")}/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(x1 + x2) / 2 - 36:F0}\" y=\"{(y1 + y2) / 2 - 6:F0}\" fill=\"{color}\">{op}</text>");
        }
        for (var i = 0; i < 4; i++)
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{node[i].X}\" cy=\"{node[i].Y}\" r=\"18\" fill=\"#fff\" stroke=\"#333\" stroke-width=\"2\"/><text x=\"{node[i].X - 4}\" y=\"{node[i].Y + 4}\">{i}</text>");
        sb.Append("<text x=\"20\" y=\"250\" fill=\"#555\">node 0: cell input, node 3: cell output; each node sums its incoming edges</text></svg>");
        return sb.ToString();
    }

    /// <summary>Any architecture as a vertical list of its decisions (macro spaces).</summary>
    public static string DecisionList(SearchSpace space, Architecture a)
    {
        var rows = space.Decisions.Select((d, i) => $"{d.Name}: {d.Options[a[i]]}").ToList();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420\" height=\"{rows.Count * 18 + 20}\" font-family=\"monospace\" font-size=\"13\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        for (var i = 0; i < rows.Count; i++) sb.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"{i * 18 + 20}\">{Escape(rows[i])}</text>");
        return sb.Append("</svg>").ToString();
    }

    // Text and attribute content of SVG/HTML: the framework's XML escaping (& < > " ').
    internal static string Escape(string s) => System.Security.SecurityElement.Escape(s);
}
