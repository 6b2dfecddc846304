using System.CommandLine;
using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>`kshotnas codes`: the distribution of a K-shot checkpoint's codes over paths, as SVG histograms and CSV.</summary>
internal static class CodesCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "K-shot supernet file or training checkpoint.", Required = true };
        var archs = new Option<string?>("--archs") { Description = "Architectures (one per line, or an arch,score CSV such as a search's candidates)." };
        var sample = new Option<int>("--sample") { Description = "Otherwise: this many uniformly sampled paths.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of --sample.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Output prefix: writes PREFIX.svg and PREFIX.csv.", Required = true };
        var command = new Command("codes", "Histogram the K-shot codes lambda of many paths (SVG) and write them (CSV).") { checkpoint, archs, sample, seed, output };
        command.SetAction(p =>
        {
            TorchRuntime.Threads = Environment.ProcessorCount;
            using var supernet = SupernetFile.Load(p.GetValue(checkpoint)!);
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
            var report = new CodeReport(supernet.Simplex, paths);
            var prefix = p.GetValue(output)!;
            report.WriteSvg(prefix + ".svg", $"K-shot codes over {paths.Count} paths (K = {report.K})");
            report.WriteCsv(prefix + ".csv");
            AnsiConsole.WriteLine(report.Summary());
            AnsiConsole.WriteLine("mean code L1 distance by edit distance (decisions that differ): " + string.Join(", ",
                report.CodeDistanceByEditDistance().Select((d, e) => (d, e)).Where(p => !double.IsNaN(p.d))
                    .Select(p => FormattableString.Invariant($"{p.e}: {p.d:F3}"))));
            if (report.CollapseWarning is { } warning) AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]");
            AnsiConsole.WriteLine($"wrote {prefix}.svg and {prefix}.csv");
            return 0;
        });
        return command;
    }
}
