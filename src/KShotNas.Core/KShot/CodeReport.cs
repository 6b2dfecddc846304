using System.Globalization;
using System.Text;
using KShotNas.Spaces;

namespace KShotNas.KShot;

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

    /// <summary>Mean L1 distance between the codes of paths i and i+1 (consecutive pairs).</summary>
    public double MeanPairDistance => Enumerable.Range(0, Codes.Length - 1)
        .Average(i => Codes[i].Zip(Codes[i + 1], (a, b) => Math.Abs(a - b)).Sum());

    /// <summary>
    /// How many supernets one code really mixes: 1 / sum_k lambda_k^2 (K for the uniform code, 1 for a one-hot code).
    /// It also scales a supernet step: the merged weights move by lr * sum_k lambda_k^2 times the gradient.
    /// </summary>
    public static double EffectiveCount(IReadOnlyList<float> code) => 1 / code.Sum(v => (double)v * v);

    /// <summary>Mean of <see cref="EffectiveCount"/> over the paths.</summary>
    public double EffectiveK => Codes.Average(c => EffectiveCount(c));

    /// <summary>A one-line summary.</summary>
    public string Summary() => FormattableString.Invariant($"effective K {EffectiveK:F2} of {K}; ") + string.Join("; ", Enumerable.Range(0, K).Select(k =>
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
