using System.CommandLine;
using System.Diagnostics;
using KShotNas.Api;
using KShotNas.Data;
using KShotNas.Ranking;
using KShotNas.Search;
using KShotNas.Search.Strategies;
using KShotNas.Study;
using Microsoft.ML;
using Spectre.Console;

namespace KShotNas.Cli.Commands.Study;

/// <summary>
/// `kshotnas study pick-check`: the end-to-end check of a main-job run. Retrains, with exactly the run's recipe (the ML.NET
/// trainer with <c>Architecture</c> set: same split, normalization, retraining, ONNX, evaluation through ML.NET), the
/// run's pick, the best reference cells under the run's FLOPs budget and random cells under the same budget, over
/// seeds; appends each retraining to a CSV (a stopped check resumes) and writes a Markdown table.
/// </summary>
internal static class PickCheckCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Output folder of a finished `kshotnas run` (reads run.json).", Required = true };
        var reference = new Option<string>("--reference") { Description = "Reference accuracies (arch,accuracy CSV) for the best cells under the budget.", DefaultValueFactory = _ => "docs/study/reference.csv" };
        var best = new Option<int>("--best") { Description = "Best reference cells under the budget to retrain.", DefaultValueFactory = _ => 1 };
        var random = new Option<int>("--random") { Description = "Random cells under the budget to retrain.", DefaultValueFactory = _ => 10 };
        var seeds = new Option<int[]>("--seeds") { Description = "Seeds of the pick and the best cells.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [0, 1, 2] };
        var randomSeeds = new Option<int[]>("--random-seeds") { Description = "Seeds of each random cell.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [0] };
        var drawSeed = new Option<int>("--draw-seed") { Description = "Seed of the random draw of cells.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Rows CSV (default RUN/pick-check.csv; existing rows are kept and skipped)." };
        var table = new Option<string?>("--table") { Description = "Markdown table (default RUN/pick-check.md)." };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("pick-check", "Retrain a run's pick, the best reference cells and random cells under its FLOPs budget with the run's own recipe; compare test accuracy.")
        {
            run, reference, best, random, seeds, randomSeeds, drawSeed, output, table, threads,
        };
        command.SetAction((p, ct) =>
        {
            var dir = p.GetValue(run)!;
            var record = MainJob.LoadRun(dir);
            Reliability.OptionChecks.AtLeast("--best", p.GetValue(best), 0);
            Reliability.OptionChecks.AtLeast("--random", p.GetValue(random), 0);
            if (p.GetValue(seeds) is not { Length: > 0 } pickSeeds) throw new Reliability.InvalidOptionException("--seeds", "give at least one seed.");
            if (p.GetValue(randomSeeds) is not { Length: > 0 } cellSeeds) throw new Reliability.InvalidOptionException("--random-seeds", "give at least one seed.");
            var threadCount = CliChecks.Threads(p.GetValue(threads));
            var csv = Reliability.OptionChecks.WritableFile("--out", p.GetValue(output) ?? Path.Combine(dir, "pick-check.csv"));
            var md = Reliability.OptionChecks.WritableFile("--table", p.GetValue(table) ?? Path.Combine(dir, "pick-check.md"));
            using var runLock = Reliability.RunLock.Acquire(csv, isFolder: false);
            var source = CliData.Source(p);
            if (source.Description != record.Data)
                throw new Reliability.InvalidOptionException("--data", $"the run used {record.Data}, not {source.Description}: the check must retrain on the run's data.");
            var (space, limit) = MainJob.Space(source, record.TrainImages, record.Recipe.MaxFlops, $"{Path.Combine(dir, "run.json")}'s --max-flops");
            if (limit != record.FlopsBudget) throw new InvalidDataException($"run.json's FLOPs budget {record.FlopsBudget:N0} differs from the recomputed {limit:N0}.");
            var constraints = new SearchConstraints(limit);

            // The cells: the pick; the best reference cells under the budget; random cells as random search draws them.
            var jobs = pickSeeds.Select(s => (PickCheckRole.Pick, record.Architecture, s)).ToList();
            var refAcc = new Dictionary<string, double>();
            if (p.GetValue(best) > 0)
            {
                var refPath = Reliability.OptionChecks.ExistingFile("--reference", p.GetValue(reference));
                foreach (var (arch, acc) in ScoreTable.Read(refPath)) refAcc[space.Format(space.Parse(arch))] = acc;
                foreach (var (arch, _) in refAcc.Where(r => constraints.Allows(space, space.Parse(r.Key))).OrderByDescending(r => r.Value).Take(p.GetValue(best)))
                    jobs.AddRange(pickSeeds.Select(s => (PickCheckRole.BestReference, arch, s)));
            }
            var draw = new RandomSearch(space, constraints, (ulong)p.GetValue(drawSeed));
            for (var i = 0; i < p.GetValue(random); i++)
            {
                var a = draw.Propose()!;
                jobs.AddRange(cellSeeds.Select(s => (PickCheckRole.Random, space.Format(a), s)));
            }

            var rows = File.Exists(csv)
                ? File.ReadLines(csv).Skip(1).Select((l, i) => PickCheckRow.Parse(l, i + 2)).ToList()
                : new List<PickCheckRow>();
            var done = rows.Select(r => (r.Role, r.Arch, r.Seed)).ToHashSet();
            var todo = jobs.Where(j => !done.Contains(j)).ToList();
            AnsiConsole.WriteLine($"pick check of {dir}: {record.Architecture} under {limit:N0} FLOPs; {jobs.Count} retrainings, {todo.Count} to go "
                                  + $"({record.Recipe.Describe()}, {(record.Recipe.RetrainSteps is { } steps ? $"{steps} retraining steps" : $"{record.Recipe.RetrainEpochs} retraining epochs")})");
            foreach (var (role, arch, seed) in todo)
            {
                ct.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                // The run's recipe with the cell fixed, untimed: the retraining steps are those the run's budget planned.
                var recipe = record.Recipe.Clone();
                (recipe.Space, recipe.Architecture, recipe.Seed, recipe.Threads, recipe.TimeBudget) = (space, arch, seed, threadCount, null);
                var runMl = new MLContext(seed);
                var (model, result) = MainJob.Fit(runMl, source.LoadView(runMl, DataSplit.Train, record.TrainImages), MainJob.Options(recipe, ct));
                var accuracy = runMl.MulticlassClassification.Evaluate(model.Transform(source.LoadView(runMl, DataSplit.Test))).MicroAccuracy;
                var profile = space.Profile(space.Parse(arch));
                rows.Add(new PickCheckRow(role, arch, profile.Flops, profile.Params, refAcc.TryGetValue(arch, out var r) ? r : null, seed, accuracy,
                    clock.Elapsed.TotalSeconds));
                Torch.Serialization.AtomicFile.WriteAllText(csv, PickCheckRow.Header + "\n" + string.Concat(rows.Select(x => x.ToCsv() + "\n")));
                AnsiConsole.WriteLine($"{role} {arch} seed {seed}: {accuracy:P2} ({clock.Elapsed.TotalSeconds:F0} s)");
            }
            var wanted = jobs.ToHashSet();
            Torch.Serialization.AtomicFile.WriteAllText(md, PickCheckTable.Markdown(rows.Where(x => wanted.Contains((x.Role, x.Arch, x.Seed))).ToList(), limit));
            AnsiConsole.WriteLine($"table: {md}");
            return Task.FromResult(0);
        });
        return command;
    }
}
