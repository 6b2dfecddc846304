using System.CommandLine;
using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using Spectre.Console;

namespace KShotNas.Cli.Commands.Study;

/// <summary>`kshotnas study codes`: the distribution of a K-shot checkpoint's codes over paths, as SVG histograms and CSV.</summary>
internal static class CodesCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "K-shot supernet file or training checkpoint." };
        var fromCsv = new Option<string?>("--from-csv") { Description = "Instead of a checkpoint: a codes CSV written by this command (arch,lambda_1,...), for its statistics." };
        var spaceOption = new Option<string>("--space") { Description = "Space of --from-csv.", DefaultValueFactory = _ => "nb201:fashion-small" };
        var archs = new Option<string?>("--archs") { Description = "Architectures (one per line, or an arch,score CSV such as a search's candidates)." };
        var sample = new Option<int>("--sample") { Description = "Otherwise: this many uniformly sampled paths.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of --sample.", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "Output prefix: writes PREFIX.svg and PREFIX.csv (required with --checkpoint)." };
        var command = new Command("codes", "Histogram the K-shot codes lambda of many paths (SVG), write them (CSV), and print their spread, collapse "
                                           + "warnings and how code distance follows architecture edit distance.") { checkpoint, fromCsv, spaceOption, archs, sample, seed, output };
        command.SetAction(p =>
        {
            if (p.GetValue(fromCsv) is { } csv)
            {
                if (p.GetValue(checkpoint) is not null) throw new ArgumentException("Give either --checkpoint or --from-csv, not both.");
                Print(ReadCsv(SpaceCatalog.Create(p.GetValue(spaceOption)!), csv));
                return 0;
            }
            if (p.GetValue(checkpoint) is null || p.GetValue(output) is null) throw new ArgumentException("Give --checkpoint and --out (or --from-csv).");
            Reliability.OptionChecks.AtLeast("--sample", p.GetValue(sample), 1);
            var checkpointPath = Reliability.OptionChecks.ExistingFile("--checkpoint", p.GetValue(checkpoint));
            if (p.GetValue(archs) is { } archFile) Reliability.OptionChecks.ExistingFile("--archs", archFile);
            Reliability.OptionChecks.WritableFile("--out", p.GetValue(output) + ".csv");
            TorchRuntime.Threads = Environment.ProcessorCount;
            using var supernet = SupernetFile.Load(checkpointPath);
            if (supernet.Simplex is null) throw new ArgumentException($"{p.GetValue(checkpoint)} is a one-shot supernet (K = 1): it has no codes.");
            var space = supernet.Space;
            List<Architecture> paths;
            if (p.GetValue(archs) is { } file)
                paths = File.ReadLines(file).Select(l => l.Split(',')[0].Trim()).Where(l => l.Length > 0 && l != "arch" && !l.StartsWith('#'))
                    .Select(space.Parse).ToList();
            else
            {
                var rng = new CheckpointableRandom((ulong)p.GetValue(seed));
                paths = Enumerable.Range(0, p.GetValue(sample)).Select(_ => space.Sample(rng)).ToList();
            }
            if (paths.Count == 0) throw new Reliability.InvalidOptionException("--archs", $"{p.GetValue(archs)} lists no architecture.");
            var report = new CodeReport(supernet.Simplex, paths);
            var prefix = p.GetValue(output)!;
            report.WriteSvg(prefix + ".svg", $"K-shot codes over {paths.Count} paths (K = {report.K})");
            report.WriteCsv(prefix + ".csv");
            Print(report);
            AnsiConsole.WriteLine($"wrote {prefix}.svg and {prefix}.csv");
            return 0;
        });
        return command;
    }

    private static void Print(CodeReport report)
    {
        AnsiConsole.WriteLine(report.Summary());
        AnsiConsole.WriteLine("mean code L1 distance by edit distance (decisions that differ): " + string.Join(", ",
            report.CodeDistanceByEditDistance().Select((d, e) => (d, e)).Where(p => !double.IsNaN(p.d))
                .Select(p => FormattableString.Invariant($"{p.e}: {p.d:F3}"))));
        if (report.CollapseWarning is { } warning) AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]");
    }

    private static CodeReport ReadCsv(SearchSpace space, string path)
    {
        var lines = File.ReadLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count < 2 || !lines[0].StartsWith("arch,lambda_1", StringComparison.Ordinal))
            throw new InvalidDataException($"{path} is not a codes CSV (header arch,lambda_1,...; at least one row).");
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        var archs = rows.Select(r => space.Parse(r[0])).ToList();
        var codes = rows.Select(r => r.Skip(1).Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return new CodeReport(space, archs, codes);
    }
}
