using System.Globalization;
using System.Text;
using KShotNas.Spaces;

namespace KShotNas.KShot;

/// <summary>How a simplex-net's codes have collapsed, if they have.</summary>
public enum CodeCollapse
{
    /// <summary>The codes are spread.</summary>
    None,
    /// <summary>Every path gets nearly the same code (the largest per-component std is below <see cref="CodeReport.OneCodeStd"/>).</summary>
    OneCode,
    /// <summary>The paths sit on one vertex: one supernet carries at least <see cref="CodeReport.OneVertexShare"/> of the mean code.</summary>
    OneVertex,
}

/// <summary>
/// The distribution of K-shot codes over a set of paths: per-component statistics, a CSV of every code and an
/// SVG of one histogram per component (the seeds plot such histograms for K = 2, 3, 4).
/// </summary>
public sealed class CodeReport
{
    /// <summary>Computes codes for <paramref name="architectures"/>.</summary>
    public CodeReport(SimplexNet simplex, IReadOnlyList<Architecture> architectures)
    {
        Space = simplex.Space;
        Architectures = architectures;
        Codes = simplex.CodeValues(architectures);
        K = simplex.K;
    }

    /// <summary>A report of given codes (one per path, each on the K-simplex), e.g. read back from a codes CSV.</summary>
    public CodeReport(SearchSpace space, IReadOnlyList<Architecture> architectures, float[][] codes)
    {
        if (codes.Length != architectures.Count || codes.Length == 0)
            throw new ArgumentException($"Expected one code per path ({architectures.Count} paths, {codes.Length} codes), and at least one.");
        if (codes.Any(c => c.Length != codes[0].Length))
            throw new ArgumentException("Every code must have the same number of components.");
        Space = space;
        Architectures = architectures;
        Codes = codes;
        K = codes[0].Length;
    }

    /// <summary>The space.</summary>
    public SearchSpace Space { get; }
    /// <summary>The paths.</summary>
    public IReadOnlyList<Architecture> Architectures { get; }
    /// <summary>One code per path.</summary>
    public float[][] Codes { get; }
    /// <summary>Number of components.</summary>
    public int K { get; }

    /// <summary>Mean of component k over the paths.</summary>
    public double Mean(int k) => Codes.Average(c => c[k]);

    /// <summary>Standard deviation of component k over the paths (the spread between architectures).</summary>
    public double Std(int k)
    {
        var m = Mean(k);
        return Math.Sqrt(Codes.Average(c => (c[k] - m) * (c[k] - m)));
    }

    /// <summary>Mean over components of <see cref="Std"/>: 0 when every path gets the same code.</summary>
    public double Spread => Enumerable.Range(0, K).Average(Std);

    /// <summary>Largest per-component standard deviation over the paths.</summary>
    public double MaxStd => Enumerable.Range(0, K).Max(Std);

    /// <summary>Mean L1 distance between the codes of all pairs of paths (0: one code for all; at most 2).</summary>
    public double MeanPairwiseDistance => Pairs().Select(p => p.CodeDistance).DefaultIfEmpty(0).Average();

    /// <summary>
    /// How many supernets one code really mixes: 1 / sum_k lambda_k^2 (K for the uniform code, 1 for a one-hot code).
    /// It also scales a supernet step: the merged weights move by lr * sum_k lambda_k^2 times the gradient.
    /// </summary>
    public static double EffectiveCount(IReadOnlyList<float> code) => 1 / code.Sum(v => (double)v * v);

    /// <summary>Mean of <see cref="EffectiveCount"/> over the paths.</summary>
    public double EffectiveK => Codes.Average(c => EffectiveCount(c));

    /// <summary>
    /// How many supernets the paths use together: <see cref="EffectiveCount"/> of the mean code. Near 1 when every
    /// path sits on the same vertex, K when the population covers the simplex evenly.
    /// </summary>
    public double UsedK => EffectiveCount(Enumerable.Range(0, K).Select(k => (float)Mean(k)).ToArray());

    /// <summary>Share of the mean code carried by its largest component.</summary>
    public double LargestMeanShare => Enumerable.Range(0, K).Max(Mean);

    /// <summary>Below this largest per-component std the paths count as sharing one code.</summary>
    public const double OneCodeStd = 0.05;
    /// <summary>From this share of the mean code on one supernet the paths count as sitting on one vertex.</summary>
    public const double OneVertexShare = 0.9;

    /// <summary>Whether the simplex-net has collapsed on these paths (one vertex is checked first).</summary>
    public CodeCollapse Collapse =>
        LargestMeanShare >= OneVertexShare ? CodeCollapse.OneVertex : MaxStd < OneCodeStd ? CodeCollapse.OneCode : CodeCollapse.None;

    /// <summary>A warning naming the collapse and its numbers, or null when the codes are spread.</summary>
    public string? CollapseWarning => Collapse switch
    {
        CodeCollapse.OneVertex => FormattableString.Invariant(
            $"K-shot codes collapsed onto one supernet: over {Codes.Length} paths supernet {ArgMaxMean() + 1} carries {LargestMeanShare:P0} of the mean code (>= {OneVertexShare:P0}); the run is close to one-shot"),
        CodeCollapse.OneCode => FormattableString.Invariant(
            $"K-shot codes collapsed to one code for all paths: the largest std of a lambda over {Codes.Length} paths is {MaxStd:F4} (< {OneCodeStd}); the codes do not tell paths apart"),
        _ => null,
    };

    private int ArgMaxMean() => Enumerable.Range(0, K).MaxBy(Mean);

    /// <summary>
    /// Whether similar architectures share code regions: Pearson correlation, over all pairs of paths, between the
    /// architectures' edit distance (decisions that differ) and the L1 distance of their codes. Positive: similar
    /// architectures get similar codes. NaN when either distance does not vary (e.g. one code for all).
    /// </summary>
    public double EditDistanceCorrelation
    {
        get
        {
            double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
            foreach (var (edit, code) in Pairs())
            {
                n++; sx += edit; sy += code; sxx += edit * edit; syy += code * code; sxy += edit * code;
            }
            var vx = sxx - sx * sx / n;
            var vy = syy - sy * sy / n;
            return n < 3 || vx <= 0 || vy <= 1e-18 ? double.NaN : (sxy - sx * sy / n) / Math.Sqrt(vx * vy);
        }
    }

    /// <summary>Mean code L1 distance of the pairs at each edit distance (index = edit distance; NaN where no pair has it).</summary>
    public double[] CodeDistanceByEditDistance()
    {
        var sums = new double[Space.Decisions.Count + 1];
        var counts = new int[sums.Length];
        foreach (var (edit, code) in Pairs()) { sums[edit] += code; counts[edit]++; }
        return sums.Select((s, d) => counts[d] == 0 ? double.NaN : s / counts[d]).ToArray();
    }

    /// <summary>(edit distance, code L1 distance) of every pair i &lt; j (at most the first 2,000 paths, to bound the cost).</summary>
    private IEnumerable<(int Edit, double CodeDistance)> Pairs()
    {
        var n = Math.Min(Codes.Length, 2000);
        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
            {
                var a = Architectures[i].Choices;
                var b = Architectures[j].Choices;
                var edit = 0;
                for (var d = 0; d < a.Length; d++) if (a[d] != b[d]) edit++;
                double dist = 0;
                for (var k = 0; k < K; k++) dist += Math.Abs(Codes[i][k] - Codes[j][k]);
                yield return (edit, dist);
            }
    }

    /// <summary>A one-line summary: spread, collapse warning, edit-distance correlation and per-component statistics.</summary>
    public string Summary() =>
        FormattableString.Invariant($"code spread: mean std of lambda {Spread:F3} (max {MaxStd:F3}), mean pairwise L1 {MeanPairwiseDistance:F3}, ")
        + FormattableString.Invariant($"effective K per code {EffectiveK:F2} and of the mean code {UsedK:F2} of {K}; ")
        + FormattableString.Invariant($"edit distance vs code distance r = {EditDistanceCorrelation:F3}; ")
        + (CollapseWarning is { } w ? "WARNING: " + w + "; " : "")
        + string.Join("; ", Enumerable.Range(0, K).Select(k =>
            FormattableString.Invariant($"lambda_{k + 1}: mean {Mean(k):F3} std {Std(k):F3} min {Codes.Min(c => c[k]):F3} max {Codes.Max(c => c[k]):F3}")));

    /// <summary>Writes "arch,lambda_1,...,lambda_K".</summary>
    public void WriteCsv(string path)
    {
        var sb = new StringBuilder("arch," + string.Join(",", Enumerable.Range(1, K).Select(k => $"lambda_{k}")) + "\n");
        for (var i = 0; i < Codes.Length; i++)
            sb.Append(Space.Format(Architectures[i])).Append(',')
              .Append(string.Join(",", Codes[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        File.WriteAllText(path, sb.ToString());
    }

    /// <summary>Writes an SVG with one histogram (20 bins over [0, 1]) per component.</summary>
    public void WriteSvg(string path, string title) => File.WriteAllText(path, Svg(title));

    /// <summary>The SVG of one histogram (20 bins over [0, 1]) per component.</summary>
    public string Svg(string title)
    {
        const int bins = 20, w = 260, h = 180, pad = 30;
        var width = K * (w + pad) + pad;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{h + 110}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.Append($"<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"{pad}\" y=\"20\" font-size=\"15\">{Escape(title)}</text>");
        for (var k = 0; k < K; k++)
        {
            var counts = new int[bins];
            foreach (var c in Codes) counts[Math.Min(bins - 1, (int)(c[k] * bins))]++;
            var max = Math.Max(1, counts.Max());
            var x0 = pad + k * (w + pad);
            const int y0 = 40;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x0}\" y=\"{y0}\" width=\"{w}\" height=\"{h}\" fill=\"#f7f7f7\" stroke=\"#ccc\"/>");
            for (var b = 0; b < bins; b++)
            {
                var bh = (double)counts[b] / max * (h - 10);
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{x0 + b * (double)w / bins + 1:F1}\" y=\"{y0 + h - bh:F1}\" width=\"{(double)w / bins - 2:F1}\" height=\"{bh:F1}\" fill=\"#3b6ea8\"><title>{counts[b]} paths</title></rect>");
            }
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{x0}\" y=\"{y0 + h + 16}\">0</text><text x=\"{x0 + w - 8}\" y=\"{y0 + h + 16}\">1</text>"
                + $"<text x=\"{x0 + w / 2 - 40}\" y=\"{y0 + h + 34}\">lambda_{k + 1} (mean {Mean(k):F2}, std {Std(k):F2})</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{pad}\" y=\"{h + 100}\" fill=\"#555\">{Codes.Length} paths; bar height: share of paths per bin (tallest bin = full height)</text></svg>");
        return svg.ToString();
    }

    // Text and attribute content of SVG/HTML: the framework's XML escaping (& < > " ').
    private static string Escape(string s) => System.Security.SecurityElement.Escape(s);
}
