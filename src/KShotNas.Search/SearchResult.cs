using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KShotNas.Search;

/// <summary>One evaluated candidate of a search.</summary>
public sealed record SearchCandidate(string Arch, Evaluation Result);

/// <summary>
/// Every evaluated candidate with its objectives, the best one, and the Pareto front over (accuracy up,
/// FLOPs down, params down); saved as JSON and CSV, and drawn as accuracy against FLOPs (SVG).
/// </summary>
public sealed class SearchResult
{
    /// <summary>Creates the result.</summary>
    public SearchResult(string space, string strategy, IReadOnlyList<SearchCandidate> candidates)
    {
        if (candidates.Count == 0) throw new ArgumentException("A search result needs at least one candidate.");
        Space = space;
        Strategy = strategy;
        Candidates = candidates;
        Best = candidates.MaxBy(c => c.Result.Accuracy)!;
        var objectives = candidates.Select(c => new[] { -c.Result.Accuracy, (double)c.Result.Flops, (double)c.Result.Params }).ToList();
        ParetoFront = Pareto.NonDominatedSort(objectives)[0].Select(i => candidates[i]).OrderBy(c => c.Result.Flops).ToList();
    }

    /// <summary>The space's name.</summary>
    public string Space { get; }
    /// <summary>The strategy's name.</summary>
    public string Strategy { get; }
    /// <summary>Every evaluated candidate, in query order.</summary>
    public IReadOnlyList<SearchCandidate> Candidates { get; }
    /// <summary>The most accurate candidate.</summary>
    public SearchCandidate Best { get; }
    /// <summary>Non-dominated candidates over accuracy, FLOPs and params, by FLOPs.</summary>
    public IReadOnlyList<SearchCandidate> ParetoFront { get; }

    /// <summary>Best accuracy among the first <paramref name="queries"/> candidates.</summary>
    public double BestWithin(int queries) => Candidates.Take(queries).Max(c => c.Result.Accuracy);

    /// <summary>Writes result.json, candidates.csv and pareto.svg into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "result.json"), JsonSerializer.Serialize(new
        {
            space = Space, strategy = Strategy, best = Best, pareto_front = ParetoFront, candidates = Candidates,
        }, SearchJson.Indented));
        var csv = new StringBuilder("arch,accuracy,flops,params,pareto\n");
        var front = ParetoFront.ToHashSet();
        foreach (var c in Candidates)
            csv.Append(CultureInfo.InvariantCulture, $"{c.Arch},{c.Result.Accuracy:R},{c.Result.Flops},{c.Result.Params},{(front.Contains(c) ? 1 : 0)}\n");
        File.WriteAllText(Path.Combine(directory, "candidates.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(directory, "pareto.svg"), Svg());
    }

    /// <summary>Accuracy against FLOPs: every candidate, the Pareto front as a line, the best one marked.</summary>
    public string Svg(long? flopsLimit = null)
    {
        const int w = 640, h = 440, left = 70, right = 30, top = 60, bottom = 50;
        double minF = Candidates.Min(c => c.Result.Flops), maxF = Math.Max(Candidates.Max(c => c.Result.Flops), flopsLimit ?? 0);
        double minA = Candidates.Min(c => c.Result.Accuracy), maxA = Candidates.Max(c => c.Result.Accuracy);
        if (maxF == minF) maxF = minF + 1;
        if (maxA == minA) maxA = minA + 1;
        double X(double f) => left + (f - minF) / (maxF - minF) * (w - left - right);
        double Y(double a) => top + (1 - (a - minA) / (maxA - minA)) * (h - top - bottom);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">");
        s.Append($"<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"{left}\" y=\"22\" font-size=\"15\">{Escape(Strategy)} on {Escape(Space)}: {Candidates.Count} candidates, accuracy against FLOPs</text>");
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{w - right}\" y2=\"{h - bottom}\" stroke=\"#333\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"#333\"/>");
        for (var i = 0; i <= 4; i++)
        {
            double f = minF + (maxF - minF) * i / 4, a = minA + (maxA - minA) * i / 4;
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(f) - 20:F0}\" y=\"{h - bottom + 16}\">{f / 1e6:F1}M</text>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 55}\" y=\"{Y(a) + 4:F0}\">{a:G4}</text>");
        }
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{w / 2 - 30}\" y=\"{h - 8}\">FLOPs (MACs)</text>");
        if (flopsLimit is { } limit)
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(limit):F1}\" y1=\"{top}\" x2=\"{X(limit):F1}\" y2=\"{h - bottom}\" stroke=\"#c33\" stroke-dasharray=\"5,4\"/><text x=\"{X(limit) - 84:F0}\" y=\"{h - bottom - 8}\" fill=\"#c33\">FLOPs budget</text>");
        foreach (var c in Candidates)
            s.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(c.Result.Flops):F1}\" cy=\"{Y(c.Result.Accuracy):F1}\" r=\"2.5\" fill=\"#9db4cf\"><title>{Escape(c.Arch)}</title></circle>");
        var accFront = Candidates.OrderBy(c => c.Result.Flops).Aggregate(new List<SearchCandidate>(), (list, c) =>
        {
            if (list.Count == 0 || c.Result.Accuracy > list[^1].Result.Accuracy) list.Add(c);
            return list;
        });
        s.Append("<polyline fill=\"none\" stroke=\"#1f4e8c\" stroke-width=\"2\" points=\"")
         .Append(string.Join(" ", accFront.Select(c => FormattableString.Invariant($"{X(c.Result.Flops):F1},{Y(c.Result.Accuracy):F1}")))).Append("\"/>");
        foreach (var c in accFront)
            s.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(c.Result.Flops):F1}\" cy=\"{Y(c.Result.Accuracy):F1}\" r=\"4\" fill=\"#1f4e8c\"><title>{Escape(c.Arch)}</title></circle>");
        s.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(Best.Result.Flops):F1}\" cy=\"{Y(Best.Result.Accuracy):F1}\" r=\"7\" fill=\"none\" stroke=\"#d48a00\" stroke-width=\"2.5\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"42\" fill=\"#555\">line: accuracy/FLOPs Pareto front; ring: best {Escape(Best.Arch.Length > 48 ? Best.Arch[..45] + "..." : Best.Arch)} ({Best.Result.Accuracy:G4})</text></svg>");
        return s.ToString();
    }

    // Text and attribute content of SVG/HTML: the framework's XML escaping (& < > " ').
    private static string Escape(string s) => System.Security.SecurityElement.Escape(s);
}
