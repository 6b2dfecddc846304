using System.CommandLine;
using System.Diagnostics;
using KShotNas.Api;
using KShotNas.Api.Report;
using KShotNas.Data;
using KShotNas.MLNet;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>
/// `kshotnas run`, the main job, as an ML.NET pipeline: MapValueToKey -> KShotNas (supernet on the small NB201
/// skeleton with the <see cref="NasRecipe.MainJob"/> preset, evolutionary search under a FLOPs budget, retraining) ->
/// MapKeyToValue; then test accuracy through ML.NET's OnnxTransformer, model.zip (loads without KShotNas), model.onnx,
/// run.json and an HTML report.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var d = NasRecipe.MainJob();
        var output = new Option<string>("--out")
        {
            Description = "Folder for model.zip, model.onnx, run.json and the report; an earlier run there is replaced whole, a folder of other files is refused.",
            DefaultValueFactory = _ => "out/run",
        };
        var force = new Option<bool>("--force") { Description = "Replace --out whole even when it holds files `kshotnas run` did not write." };
        var method = new Option<PathSampling>("--method") { Description = "Supernet path sampling: Spos, FairNas or Sandwich.", DefaultValueFactory = _ => d.Method.Sampling };
        var k = new Option<int>("--k") { Description = "K-shot K (1: one-shot). Measured (docs/study/ranking-budget.md): K > 1 never ranked better than K = 1 at equal compute (level at 50 path-epochs, 0.11 tau-b worse at 100); it costs K times the weights.", DefaultValueFactory = _ => d.Method.K };
        var fewShot = new Option<int?>("--few-shot") { Description = "Few-shot NAS: one sub-supernet per option of this decision (NB201 edge 1<-0 is 0)." };
        var calr = new Option<bool>("--calr") { Description = "Complexity-aware LR schedule (--calr false: cosine).", DefaultValueFactory = _ => d.Calr };
        var ms = new Option<bool>("--ms") { Description = "Momentum separation (--ms false: one momentum buffer).", DefaultValueFactory = _ => d.MomentumSeparation };
        var epochs = new Option<int?>("--supernet-epochs") { Description = "Supernet epochs (default: planned by --time-budget; without one, 2)." };
        var scoring = new Option<int>("--scoring-images") { Description = "Ranking images each candidate is scored on (batch statistics).", DefaultValueFactory = _ => d.ScoringImages };
        var budget = new Option<int?>("--search-budget") { Description = "Candidates the search scores (default: as many as --time-budget allows; without one, 200)." };
        var maxFlops = new Option<long?>("--max-flops") { Description = "FLOPs budget (default: 60% of the space's largest network)." };
        var retrain = new Option<int?>("--retrain-epochs") { Description = "Retraining epochs (default: planned by --time-budget; without one, 3)." };
        var trainImages = new Option<int?>("--train-images") { Description = "Training images to use (default all; half train the supernet, half rank)." };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var timeBudget = new Option<int>("--time-budget")
        {
            Description = "Wall-time budget of the fit in seconds (0: none): supernet training, search and retraining are planned from measured "
                          + "costs; --supernet-epochs, --search-budget and --retrain-epochs given explicitly keep their stage's count.",
            DefaultValueFactory = _ => NasRecipe.MainJobTimeBudgetSeconds,
        };
        var augmentation = new Option<Augmentation?>("--augmentation")
        {
            Description = $"Random changes to the retraining's batches: None, Shift or ShiftAndFlip (default: ShiftAndFlip when the retraining covers at least {NasRecipe.AugmentationMinimumEpochs} passes over its images, else None).",
        };
        var minSteps = new Option<long?>("--min-supernet-steps")
        {
            Description = "Under --time-budget: search when the supernet's planned time holds at least this many steps, else retrain the prior pick for the whole budget (0: always search). Default: no search under a time budget; every time-budgeted search measured lost 0.2-2.3 points to the prior pick (docs/time-budget.md).",
        };
        var refit = new Option<bool>("--refit") { Description = "Refit the pick on all training images (--refit false: on the supernet half only).", DefaultValueFactory = _ => d.Refit };
        var command = new Command("run", "The main job: NAS end to end through an ML.NET pipeline (supernet, search under a FLOPs budget, retraining), "
                                         + "with model.zip, model.onnx and an HTML report. Under --time-budget it retrains the prior pick (NAS-Bench-201's ResNet cell "
                                         + "under the FLOPs limit) for the whole budget unless --min-supernet-steps asks for the search; --time-budget 0 always searches.")
        {
            output, force, method, k, fewShot, calr, ms, epochs, scoring, budget, maxFlops, retrain, trainImages, threads, seed, timeBudget, minSteps, refit, augmentation,
        };
        command.SetAction((p, ct) =>
        {
            var clock = Stopwatch.StartNew();
            Reliability.OptionChecks.AtLeast("--k", p.GetValue(k), 1);
            CliChecks.AtLeast("--supernet-epochs", p.GetValue(epochs), 1);
            Reliability.OptionChecks.AtLeast("--scoring-images", p.GetValue(scoring), 2);
            CliChecks.AtLeast("--search-budget", p.GetValue(budget), 1);
            CliChecks.AtLeast("--retrain-epochs", p.GetValue(retrain), 1);
            CliChecks.AtLeast("--train-images", p.GetValue(trainImages), 1);
            CliChecks.AtLeast("--max-flops", p.GetValue(maxFlops), 1);
            Reliability.OptionChecks.AtLeast("--time-budget", p.GetValue(timeBudget), 0);
            CliChecks.AtLeast("--min-supernet-steps", p.GetValue(minSteps), 0);
            var threadCount = CliChecks.Threads(p.GetValue(threads));
            var source = CliData.Source(p);
            // The space and the budget follow from the data's layout alone: an impossible --max-flops is refused here.
            var (space, limit) = MainJob.Space(source, p.GetValue(trainImages), p.GetValue(maxFlops));
            using var folder = RunFolder.Open(p.GetValue(output)!, p.GetValue(force));
            var dir = folder.Staging;
            // The main job's preset with the switches given; the recipe checks its own rules (e.g. no MS with Sandwich).
            var recipe = NasRecipe.MainJob(p.GetValue(timeBudget) is > 0 and var t ? t : null);
            recipe.Space = space;
            recipe.MaxFlops = limit;
            recipe.Method = Methods.SupernetMethod.From(p.GetValue(method), p.GetValue(k), p.GetValue(fewShot));
            recipe.Calr = p.GetValue(calr);
            recipe.MomentumSeparation = p.GetValue(ms);
            recipe.SupernetEpochs = p.GetValue(epochs) ?? recipe.SupernetEpochs;
            recipe.ScoringImages = p.GetValue(scoring);
            recipe.SearchBudget = p.GetValue(budget) ?? recipe.SearchBudget;
            recipe.RetrainEpochs = p.GetValue(retrain) ?? recipe.RetrainEpochs;
            recipe.Refit = p.GetValue(refit);
            recipe.MinimumSupernetSteps = p.GetValue(minSteps);
            recipe.RetrainAugmentation = p.GetValue(augmentation);
            recipe.Seed = p.GetValue(seed);
            recipe.Threads = threadCount;
            recipe.Validate();
            var trainImageCount = p.GetValue(trainImages);
            var ml = new MLContext(recipe.Seed);
            var train = source.LoadView(ml, DataSplit.Train, trainImageCount);
            var test = source.LoadView(ml, DataSplit.Test);
            var options = MainJob.Options(recipe, ct);
            AnsiConsole.WriteLine($"KShotNas run on {source.Description}: {SpaceCatalog.Describe(space)}, {recipe.Describe()}, {recipe.SearchStrategy} search of "
                                  + $"{(recipe.SearchBudget is { } n ? $"{n} candidates" : "the planned time")} under {limit:N0} FLOPs; "
                                  + "half the training images train the supernet, half rank");
            if (TorchRuntime.WaitPolicyNote(threadCount) is { } waitNote) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(waitNote)}[/]");
            var (model, result) = ProgressDisplay.Run<NasProgress, (ITransformer, KShotNasFitResult)>(100, q => q.Total == 0 ? 0 : 100 * q.Done / q.Total,
                q => $"{q.Stage}: {q.Done}/{q.Total} {q.Detail}", progress =>
                {
                    options.Progress = progress;
                    return MainJob.Fit(ml, train, options);
                });
            var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
            Directory.CreateDirectory(dir);
            ml.Model.Save(model, train.Schema, Path.Combine(dir, "model.zip"));
            result.SaveOnnx(Path.Combine(dir, "model.onnx"));
            // pick-check retrains other cells with the steps this run's budget planned
            var ran = result.Recipe.Clone();
            ran.RetrainSteps = result.Record.Plan?.RetrainStepsDone ?? ran.RetrainSteps;
            MainJob.SaveRun(dir, new RunRecord(ran, source.Description, trainImageCount, result.Architecture, result.Flops, result.Parameters, limit,
                result.Search?.Best.Result.Accuracy, metrics.MicroAccuracy));
            var search = result.Search; // null when a small time budget skipped the supernet (prior pick)
            var dataRows = new List<(string, string)>();
            if (source.ImageRule is { } rule) dataRows.Add(("input images", rule));
            if (source.Skipped.Count > 0) dataRows.Add(("skipped files", ImageFolder.Describe(source.Skipped)));
            var total = clock.Elapsed;
            var report = RunReport.Write(dir, space, space.Parse(result.Architecture), search, result.Recipe, result.Record,
            [
                ("data", $"{source.Description}: {result.TrainingRows:N0} training, {result.ValidationRows:N0} ranking images, test split for accuracy"),
                .. dataRows,
                ("supernet", recipe.Describe()),
                ("time budget", result.Record.Plan is { } plan ? plan.Describe() : "- (counts as set)"),
                ("architecture", result.Architecture),
                ("params / FLOPs", $"{result.Parameters:N0} / {result.Flops:N0} (budget {limit:N0})"),
                ("the pick among the candidates", search is null ? "- (no search: the time budget left too little for a supernet; prior pick)"
                    : PickPlace.Of(search, Math.Min(recipe.ScoringImages, result.ValidationRows), limit).Summary()),
                ("code spread (K-shot)", result.Record.Codes is { } codes ? codes.Summary() : "- (K = 1: no codes)"),
                ("test accuracy (ML.NET OnnxTransformer, ONNX Runtime)", $"{metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F3})"),
                ("files", "model.zip (ML.NET, loads without KShotNas), model.onnx (raw pixels in; Score and class index out), run.json (settings and pick)"),
                ("durations", string.Join(", ", result.Record.Durations.Select(x => $"{x.Key} {x.Value.TotalSeconds:F0} s")) + $", total {total.TotalSeconds:F0} s"),
            ]);
            AnsiConsole.WriteLine($"chosen: {result.Architecture} ({result.Parameters:N0} params, {result.Flops:N0} FLOPs)");
            AnsiConsole.WriteLine($"test accuracy through ML.NET/ONNX Runtime: {metrics.MicroAccuracy:P2}; {total.TotalSeconds:F0} s in all");
            folder.Commit();
            var outDir = p.GetValue(output)!;
            AnsiConsole.WriteLine($"model: {Path.Combine(outDir, "model.zip")}; report: {Path.Combine(outDir, Path.GetFileName(report))}");
            return Task.FromResult(0);
        });
        return command;
    }
}
