using System.CommandLine;
using KShotNas.Reliability;
using KShotNas.Search;
using KShotNas.Study;

namespace KShotNas.Cli.Commands.Study;

/// <summary>`kshotnas study search-benchmark`: search strategies over many seeds on a tabular benchmark.</summary>
internal static class SearchBenchmarkCommand
{
    public static Command Create()
    {
        var table = new Option<string>("--table") { Description = "Tabular benchmark (.json or .csv).", Required = true };
        var space = new Option<string?>("--space") { Description = "Space of the table (default nas-bench-macro for .json)." };
        var strategies = new Option<string[]>("--strategies") { Description = "Strategies to compare.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["random", "evolution", "regularized-evolution"] };
        var seeds = new Option<int>("--seeds") { Description = "Runs per strategy.", DefaultValueFactory = _ => 20 };
        var budgets = new Option<int[]>("--budgets") { Description = "Query budgets to report.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [100, 300, 1000] };
        var output = new Option<string?>("--out") { Description = "Write the Markdown table here too." };
        var command = new Command("search-benchmark", "Run strategies over many seeds on a table: best accuracy per budget, top-1% share, queries to top 1%.")
        {
            table, space, strategies, seeds, budgets, output,
        };
        command.SetAction((p, ct) =>
        {
            var path = OptionChecks.ExistingFile("--table", p.GetValue(table));
            OptionChecks.AtLeast("--seeds", p.GetValue(seeds), 1);
            foreach (var b0 in p.GetValue(budgets)!) OptionChecks.AtLeast("--budgets", b0, 1);
            if (p.GetValue(output) is { } o0) OptionChecks.WritableFile("--out", o0);
            var searchSpace = SearchCommands.TableSpace(p.GetValue(space), path);
            var bench = TabularBenchmark.Load(path, searchSpace);
            var b = p.GetValue(budgets)!;
            var stats = StrategyBenchmark.Run(bench, p.GetValue(strategies)!, p.GetValue(seeds), b, cancellationToken: ct);
            var md = StrategyBenchmark.Markdown(stats, b, bench);
            Console.WriteLine(md);
            if (p.GetValue(output) is { } o) File.WriteAllText(o, md);
            return Task.FromResult(0);
        });
        return command;
    }
}
