using System.CommandLine;
using System.Diagnostics;
using KShotNas.Api;
using KShotNas.Api.Report;
using KShotNas.Data;
using KShotNas.KShot;
using KShotNas.Onnx.Runtime;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>
/// `kshotnas run`, the main job: K-shot supernet with CaLR + MS on the small NB201 skeleton -> evolutionary search
/// under a FLOPs budget -> retraining -> ONNX export -> test accuracy through ONNX Runtime -> HTML report.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for the model, the ONNX file and the report.", DefaultValueFactory = _ => "out/run" };
        var k = new Option<int>("--k") { Description = "K-shot K.", DefaultValueFactory = _ => 4 };
        var epochs = new Option<int>("--supernet-epochs") { Description = "Supernet epochs (the first is K-shot warm-up).", DefaultValueFactory = _ => 3 };
        var budget = new Option<int>("--search-budget") { Description = "Candidates the search scores.", DefaultValueFactory = _ => 200 };
        var maxFlops = new Option<long?>("--max-flops") { Description = "FLOPs budget (default: 60% of the space's largest network)." };
        var retrain = new Option<int>("--retrain-epochs") { Description = "Retraining epochs.", DefaultValueFactory = _ => 3 };
        var trainImages = new Option<int?>("--train-images") { Description = "Images of the training half to use (default all 30,000)." };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<ulong>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var command = new Command("run", "The main job: K-shot NAS on Fashion-MNIST end to end, with an HTML report.")
        {
            output, k, epochs, budget, maxFlops, retrain, trainImages, threads, seed,
        };
        command.SetAction((p, ct) =>
        {
            var clock = Stopwatch.StartNew();
            var dir = p.GetValue(output)!;
            var space = new Nb201Space(Nb201Options.FashionMnistSmall);
            var limit = p.GetValue(maxFlops) ?? (long)(0.6 * space.Enumerate().Max(a => space.Profile(a).Flops));
            var options = new KShotNasOptions
            {
                Space = SpaceCatalog.Describe(space), K = p.GetValue(k), SearchBudget = p.GetValue(budget), Threads = p.GetValue(threads), Seed = p.GetValue(seed),
                Constraints = new SearchConstraints(MaxFlops: limit),
                Supernet = new SupernetTrainerOptions
                {
                    Calr = true, MomentumSeparation = true, Epochs = p.GetValue(epochs),
                    KShot = new KShotOptions { WarmupEpochs = 1, SimplexPaths = 4, SimplexGroupSize = 16 }, // 16 = batch / m: alternate every step, as before the fidelity options
                },
                Retrain = new ClassifierTrainerOptions { Epochs = p.GetValue(retrain) },
            };
            var (train, validation) = NasData.Load(null, p.GetValue(trainImages));
            using var test = FashionMnist.Load(DataSplit.Test);
            AnsiConsole.WriteLine($"KShotNas run: {options.Space}, K = {options.K}, CaLR + MS, {options.Strategy} search of {options.SearchBudget} "
                                  + $"under {limit:N0} FLOPs; supernet and retraining on {train.Count:N0} images, search scored on validation");
            var estimator = new KShotNasEstimator(options);
            KShotNasModel model;
            using (train)
            using (validation)
                model = ProgressDisplay.Run<NasProgress, KShotNasModel>(100, q => q.Total == 0 ? 0 : 100 * q.Done / q.Total,
                    q => $"{q.Stage}: {q.Done}/{q.Total} {q.Detail}", progress => estimator.Fit(train, validation, progress, ct));
            using (model)
            {
                Directory.CreateDirectory(dir);
                model.Save(Path.Combine(dir, "model.safetensors"));
                var onnxPath = Path.Combine(dir, "model.onnx");
                model.ExportOnnx(onnxPath);
                var engineAccuracy = model.Evaluate(test);
                var onnxAccuracy = PredictCommand.Accuracy(onnxPath, test, options.Threads);
                var profile = model.Space.Profile(model.Architecture);
                var total = clock.Elapsed;
                var report = RunReport.Write(dir, model, options, estimator.Record,
                [
                    ("architecture", model.ArchitectureText),
                    ("params / FLOPs", $"{profile.Params:N0} / {profile.Flops:N0} (budget {limit:N0})"),
                    ("supernet score of the chosen cell", $"{model.SearchReport!.Best.Result.Accuracy:P2}"),
                    ("test accuracy (ONNX Runtime " + OnnxPredictor.RuntimeVersion + ")", $"{onnxAccuracy:P2}"),
                    ("test accuracy (engine)", $"{engineAccuracy:P2}"),
                    ("durations", string.Join(", ", estimator.Record.Durations.Select(d => $"{d.Key} {d.Value.TotalSeconds:F0} s")) + $", total {total.TotalSeconds:F0} s"),
                ]);
                AnsiConsole.WriteLine($"chosen: {model.ArchitectureText} ({profile.Params:N0} params, {profile.Flops:N0} FLOPs)");
                AnsiConsole.WriteLine($"test accuracy through ONNX Runtime: {onnxAccuracy:P2} (engine {engineAccuracy:P2}); {total.TotalSeconds:F0} s in all");
                AnsiConsole.WriteLine($"report: {report}");
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
