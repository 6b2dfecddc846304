using KShotNas.Data;
using System.CommandLine;
using KShotNas.Evaluation;
using KShotNas.Reliability;
using KShotNas.Search;
using KShotNas.Search.Strategies;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Serialization;
using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>`kshotnas search`.</summary>
internal static class SearchCommands
{
    public static Command Search()
    {
        var table = new Option<string?>("--table") { Description = "Tabular benchmark as evaluator (.json NAS-Bench-Macro layout, or .csv arch,accuracy[,params,flops])." };
        var space = new Option<string?>("--space") { Description = "Space of --table (default nas-bench-macro for .json)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Supernet checkpoint as evaluator (scores on the ranking half of Fashion-MNIST)." };
        var strategy = new Option<string>("--strategy") { Description = $"One of {string.Join(", ", StrategyFactory.Names)}.", DefaultValueFactory = _ => "evolution" };
        var budget = new Option<int>("--budget") { Description = "Evaluations (queries).", DefaultValueFactory = _ => 1000 };
        var maxFlops = new Option<long?>("--max-flops") { Description = "Hard FLOPs (MACs) limit." };
        var maxParams = new Option<long?>("--max-params") { Description = "Hard parameter limit." };
        var seed = new Option<ulong>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var rankImages = new Option<int>("--rank-images") { Description = "Ranking images per candidate (supernet evaluator).", DefaultValueFactory = _ => 1024 };
        var output = new Option<string>("--out") { Description = "Folder for result.json, candidates.csv, pareto.svg and state.json.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from --out/state.json." };
        var command = new Command("search", "Search a space under FLOPs/params limits with a table or a supernet as evaluator.")
        {
            table, space, checkpoint, strategy, budget, maxFlops, maxParams, seed, rankImages, output, resume,
        };
        var distributed = new DistributedOptions(); // --checkpoint: each search step's candidates are scored across the ranks
        distributed.AddTo(command);
        command.SetAction((p, ct) =>
        {
            if ((p.GetValue(table) is null) == (p.GetValue(checkpoint) is null)) throw new ArgumentException("Give exactly one of --table or --checkpoint.");
            OptionChecks.AtLeast("--budget", p.GetValue(budget), 1);
            OptionChecks.AtLeast("--rank-images", p.GetValue(rankImages), 1);
            var constraints = new SearchConstraints(CliChecks.AtLeast("--max-flops", p.GetValue(maxFlops), 1),
                CliChecks.AtLeast("--max-params", p.GetValue(maxParams), 1));
            if (!StrategyFactory.Names.Contains(p.GetValue(strategy)))
                throw new InvalidOptionException("--strategy", $"unknown strategy '{p.GetValue(strategy)}' (known: {string.Join(", ", StrategyFactory.Names)}).");
            var dir = OptionChecks.WritableFolder("--out", p.GetValue(output));
            using var runLock = distributed.LockOutput(p, dir, isFolder: true);
            var config = new RunConfiguration().Set("strategy", p.GetValue(strategy)).Set("seed", p.GetValue(seed))
                .Set("max_flops", constraints.MaxFlops).Set("max_params", constraints.MaxParams);
            SearchResult result;
            SearchSpace searchSpace;
            var writer = true; // distributed: only rank 0 writes the output folder
            if (p.GetValue(table) is { } tablePath)
            {
                OptionChecks.ExistingFile("--table", tablePath);
                searchSpace = TableSpace(p.GetValue(space), tablePath);
                constraints.CheckFeasible(searchSpace, "--max-flops", "--max-params");
                config.Set("evaluator", "table").Set("table", RunConfiguration.FileIdentity(tablePath)).Set("space", SpaceCatalog.Describe(searchSpace));
                CheckState(dir, p.GetValue(resume));
                var evaluator = TabularBenchmark.Load(tablePath, searchSpace);
                result = Run(searchSpace, evaluator, p.GetValue(strategy)!, constraints, p.GetValue(seed), p.GetValue(budget), dir, p.GetValue(resume), config, true, ct);
                AnsiConsole.WriteLine($"table best: {searchSpace.Format(evaluator.Best.Key)} {evaluator.Best.Value.Accuracy:F2}; top-1% threshold {evaluator.TopOnePercentThreshold:F2}");
            }
            else
            {
                TorchRuntime.Threads = Environment.ProcessorCount;
                var checkpointPath = OptionChecks.ExistingFile("--checkpoint", p.GetValue(checkpoint));
                config.Set("evaluator", "supernet").Set("checkpoint", RunConfiguration.FileIdentity(checkpointPath)).Set("rank_images", p.GetValue(rankImages));
                CheckState(dir, p.GetValue(resume));
                using var supernet = SupernetFile.Load(checkpointPath);
                searchSpace = supernet.Space;
                constraints.CheckFeasible(searchSpace, "--max-flops", "--max-params");
                var source = CliData.Source(p, searchSpace);
                config.Set("space", SpaceCatalog.Describe(searchSpace)).Set("data", source.Description);
                var (train, ranking) = NasData.Split(source.Load(DataSplit.Train), supernet.Norms.Mode == SupernetNorm.Recalibrated ? 4096 : 1, p.GetValue(rankImages));
                CliData.CheckSpace(searchSpace, train, source);
                using var group = distributed.Join(p);
                writer = group is null || group.Rank == 0;
                using (train)
                using (ranking)
                    result = Run(searchSpace, new SupernetScorer(supernet, ranking, train, group: group), p.GetValue(strategy)!, constraints, p.GetValue(seed),
                        p.GetValue(budget), dir, p.GetValue(resume), config, writer, ct);
            }
            if (writer) AtomicFile.WriteAllText(Path.Combine(dir, "pareto.svg"), result.Svg(p.GetValue(maxFlops)));
            var best = result.Best;
            AnsiConsole.WriteLine($"{result.Candidates.Count} candidates; best {best.Arch}: accuracy {best.Result.Accuracy:G5}, {best.Result.Flops:N0} FLOPs, "
                                  + $"{best.Result.Params:N0} params; Pareto front {result.ParetoFront.Count}; written to {dir}");
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>A previous search's state in --out is continued with --resume and never silently replaced.</summary>
    private static void CheckState(string dir, bool resume) => ResumableSearch.CheckFolder(dir, resume);

    private static SearchResult Run(SearchSpace space, IArchitectureEvaluator evaluator, string strategyName, SearchConstraints constraints, ulong seed,
        int budget, string dir, bool resume, RunConfiguration config, bool writer, CancellationToken ct)
    {
        var strategy = StrategyFactory.Create(strategyName, space, constraints, seed);
        return ProgressDisplay.Run<SearchProgress, SearchResult>(budget, q => q.Queries, q => $"query {q.Queries}/{q.Budget}, best {q.BestAccuracy:G5}",
            progress => ResumableSearch.Run(strategy, evaluator, space, budget, dir, resume, config, writer, progress,
                n => AnsiConsole.WriteLine($"resuming: {n} candidates already evaluated"), ct));
    }

    // A .json table is NAS-Bench-Macro's own format; a .csv table needs its space named.
    internal static SearchSpace TableSpace(string? descriptor, string tablePath) =>
        SpaceCatalog.Create(descriptor ?? (tablePath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "nas-bench-macro"
            : throw new ArgumentException("--space is required for a .csv table.")));
}
