using System.CommandLine;
using KShotNas.Ranking;
using KShotNas.Spaces;
using Spectre.Console;

namespace KShotNas.Cli.Commands.Study;

/// <summary>`kshotnas study rank`: ranking metrics between a score CSV and a reference CSV (joined on arch).</summary>
internal static class RankCommand
{
    public static Command Create()
    {
        var scores = new Option<string>("--scores") { Description = "CSV arch,score (e.g. from supernet-score).", Required = true };
        var reference = new Option<string>("--reference") { Description = "CSV arch,accuracy (stand-alone accuracies).", Required = true };
        var space = new Option<string?>("--space") { Description = "Space descriptor; enables the complexity metrics CB and rho_cc." };
        var command = new Command("rank", "Kendall tau-a/b, group tau, Spearman, Pearson, precision@10, CB and rho_cc between two CSVs.")
        {
            scores, reference, space,
        };
        command.SetAction(p =>
        {
            var (archs, s, r, onlyS, onlyR) = ScoreTable.Join(ScoreTable.Read(Reliability.OptionChecks.ExistingFile("--scores", p.GetValue(scores))),
                ScoreTable.Read(Reliability.OptionChecks.ExistingFile("--reference", p.GetValue(reference))));
            if (archs.Length < 2) throw new ArgumentException($"Only {archs.Length} architectures appear in both tables.");
            double[]? complexity = null;
            if (p.GetValue(space) is { } descriptor)
            {
                var sp = SpaceCatalog.Create(descriptor);
                complexity = archs.Select(a => (double)sp.Profile(sp.Parse(a)).Complexity).ToArray();
            }
            var report = RankingReport.Compute(s, r, complexity);
            var table = new Table().AddColumns("metric", "value");
            table.AddRow("architectures (joined)", $"{archs.Length} ({onlyS} only in scores, {onlyR} only in reference)");
            table.AddRow("Kendall tau-a", $"{report.KendallTauA:F4}");
            table.AddRow("Kendall tau-b", $"{report.KendallTauB:F4}");
            table.AddRow("group tau (top half vs bottom half)", $"{report.GroupTau:F4}");
            table.AddRow("Spearman rho", $"{report.Spearman:F4}");
            table.AddRow("Pearson r", $"{report.Pearson:F4}");
            table.AddRow("precision@10", $"{report.PrecisionAt10:F2}");
            if (report.ComplexityBias is { } cb) table.AddRow("complexity bias CB", $"{cb:F4}");
            if (report.ComplexityConvergence is { } rho) table.AddRow("rho_cc", $"{rho:F4}");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
