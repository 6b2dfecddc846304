using System.Globalization;
using System.Text;

namespace KShotNas.Ranking;

/// <summary>A CSV row is malformed; the message names the file and line.</summary>
public sealed class ScoreTableFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public ScoreTableFormatException(string path, int line, string problem) : base($"{path}:{line}: {problem}") { }
}

/// <summary>
/// Two-column CSV tables "arch,value" (supernet scores, reference accuracies). Architectures are in their
/// space's string form; NB201 strings contain no commas, so no quoting is needed. A header line is optional.
/// Extra columns after the second are ignored.
/// </summary>
public static class ScoreTable
{
    /// <summary>Reads a table; duplicate architectures and non-numeric values are errors.</summary>
    public static IReadOnlyList<(string Arch, double Value)> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Table not found: {path}", path);
        var rows = new List<(string, double)>();
        var seen = new HashSet<string>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var cells = line.Split(',');
            if (cells.Length < 2) throw new ScoreTableFormatException(path, lineNo, "expected 'arch,value'");
            if (!double.TryParse(cells[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                if (rows.Count == 0 && lineNo == 1) continue; // header
                throw new ScoreTableFormatException(path, lineNo, $"'{cells[1]}' is not a number");
            }
            // NaN would poison every rank metric and Infinity would rank first: both are refused.
            if (!double.IsFinite(v)) throw new ScoreTableFormatException(path, lineNo, $"'{cells[1]}' is not a finite number");
            if (!seen.Add(cells[0])) throw new ScoreTableFormatException(path, lineNo, $"architecture '{cells[0]}' appears twice");
            rows.Add((cells[0], v));
        }
        if (rows.Count == 0) throw new ScoreTableFormatException(path, lineNo, "the table has no rows");
        return rows;
    }

    /// <summary>Writes a table with a header (atomically: temporary file, then rename).</summary>
    public static void Write(string path, string valueName, IEnumerable<(string Arch, double Value)> rows)
    {
        var sb = new StringBuilder().Append("arch,").Append(valueName).Append('\n');
        foreach (var (arch, value) in rows)
        {
            if (arch.Contains(',')) throw new ArgumentException($"Architecture '{arch}' contains a comma.");
            sb.Append(arch).Append(',').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, sb.ToString());
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>Pairs two tables on architecture; reports how many rows of each had no partner.</summary>
    public static (string[] Archs, double[] A, double[] B, int OnlyInA, int OnlyInB) Join(
        IReadOnlyList<(string Arch, double Value)> a, IReadOnlyList<(string Arch, double Value)> b)
    {
        var bByArch = b.ToDictionary(r => r.Arch, r => r.Value);
        var pairs = a.Where(r => bByArch.ContainsKey(r.Arch)).Select(r => (r.Arch, r.Value, bByArch[r.Arch])).ToArray();
        return (pairs.Select(p => p.Arch).ToArray(), pairs.Select(p => p.Value).ToArray(), pairs.Select(p => p.Item3).ToArray(),
            a.Count - pairs.Length, b.Count - pairs.Length);
    }
}
