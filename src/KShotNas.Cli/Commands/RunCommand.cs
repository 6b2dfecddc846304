using System.CommandLine;
using System.Diagnostics;
using KShotNas.Api;
using KShotNas.Api.Report;
using KShotNas.Data;
using KShotNas.MLNet;
using KShotNas.Spaces;
using KShotNas.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>
/// `kshotnas run`, the main job, as an ML.NET pipeline: MapValueToKey -> KShotNas (K-shot supernet with CaLR + MS on
/// the small NB201 skeleton, evolutionary search under a FLOPs budget, retraining) -> MapKeyToValue; then test
/// accuracy through ML.NET's OnnxTransformer, model.zip (loads without KShotNas), model.onnx and an HTML report.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for model.zip, model.onnx and the report.", DefaultValueFactory = _ => "out/run" };
        var k = new Option<int>("--k") { Description = "K-shot K.", DefaultValueFactory = _ => 4 };
        var epochs = new Option<int>("--supernet-epochs") { Description = "Supernet epochs (the first is K-shot warm-up).", DefaultValueFactory = _ => 3 };
        var budget = new Option<int>("--search-budget") { Description = "Candidates the search scores.", DefaultValueFactory = _ => 200 };
        var maxFlops = new Option<long?>("--max-flops") { Description = "FLOPs budget (default: 60% of the space's largest network)." };
        var retrain = new Option<int>("--retrain-epochs") { Description = "Retraining epochs.", DefaultValueFactory = _ => 3 };
        var trainImages = new Option<int?>("--train-images") { Description = "Training images to use (default all; half train the supernet, half rank)." };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var command = new Command("run", "The main job: K-shot NAS end to end through an ML.NET pipeline, with model.zip, model.onnx and an HTML report.")
        {
            output, k, epochs, budget, maxFlops, retrain, trainImages, threads, seed,
        };
        command.SetAction((p, ct) =>
        {
            var clock = Stopwatch.StartNew();
            Reliability.OptionChecks.AtLeast("--k", p.GetValue(k), 1);
            Reliability.OptionChecks.AtLeast("--supernet-epochs", p.GetValue(epochs), 1);
            Reliability.OptionChecks.AtLeast("--search-budget", p.GetValue(budget), 1);
            Reliability.OptionChecks.AtLeast("--retrain-epochs", p.GetValue(retrain), 1);
            CliChecks.AtLeast("--train-images", p.GetValue(trainImages), 1);
            CliChecks.AtLeast("--max-flops", p.GetValue(maxFlops), 1);
            var threadCount = CliChecks.Threads(p.GetValue(threads));
            var dir = Reliability.OptionChecks.WritableFolder("--out", p.GetValue(output));
            using var runLock = Reliability.RunLock.Acquire(dir, isFolder: true);
            var source = CliData.Source(p);
            var ml = new MLContext(p.GetValue(seed));
            var train = source.LoadView(ml, DataSplit.Train, p.GetValue(trainImages));
            var test = source.LoadView(ml, DataSplit.Test);
            var (channels, size, classes) = Shape(ml, train);
            var space = new Nb201Space(Nb201Options.FashionMnistSmall with { InputChannels = channels, InputSize = size, Classes = classes });
            var limit = p.GetValue(maxFlops) ?? (long)(0.6 * space.Enumerate().Max(a => space.Profile(a).Flops));
            var options = new KShotNasTrainer.Options
            {
                Space = SpaceCatalog.Describe(space), K = p.GetValue(k), SupernetMethod = PathSampling.Spos, Calr = true, MomentumSeparation = true,
                SupernetEpochs = p.GetValue(epochs), KShotWarmupEpochs = 1, SimplexPaths = 4,
                SimplexGroupSize = 16, // 16 = batch / m: supernet and simplex-net steps alternate every step
                SearchBudget = p.GetValue(budget), MaxFlops = limit,
                ValidationFraction = 0.5, ScoringImages = 512, RetrainEpochs = p.GetValue(retrain), Threads = threadCount, Seed = p.GetValue(seed),
                CancellationToken = ct,
            };
            AnsiConsole.WriteLine($"KShotNas run on {source.Description}: {options.Space}, K = {options.K}, CaLR + MS, {options.SearchStrategy} search of "
                                  + $"{options.SearchBudget} under {limit:N0} FLOPs; half the training images train, half rank");
            var nas = ml.MulticlassClassification.Trainers.KShotNas(options);
            var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(nas).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
            var model = ProgressDisplay.Run<NasProgress, ITransformer>(100, q => q.Total == 0 ? 0 : 100 * q.Done / q.Total,
                q => $"{q.Stage}: {q.Done}/{q.Total} {q.Detail}", progress =>
                {
                    options.Progress = progress;
                    return pipeline.Fit(train);
                });
            var result = nas.LastResult!;
            var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
            Directory.CreateDirectory(dir);
            ml.Model.Save(model, train.Schema, Path.Combine(dir, "model.zip"));
            result.SaveOnnx(Path.Combine(dir, "model.onnx"));
            var total = clock.Elapsed;
            var report = RunReport.Write(dir, space, space.Parse(result.Architecture), result.Search, result.Pipeline, result.Record,
            [
                ("data", $"{source.Description}: {result.TrainingRows:N0} training, {result.ValidationRows:N0} ranking images, test split for accuracy"),
                ("architecture", result.Architecture),
                ("params / FLOPs", $"{result.Parameters:N0} / {result.Flops:N0} (budget {limit:N0})"),
                ("supernet score of the chosen cell", $"{result.Search.Best.Result.Accuracy:P2}"),
                ("test accuracy (ML.NET OnnxTransformer, ONNX Runtime)", $"{metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F3})"),
                ("files", "model.zip (ML.NET, loads without KShotNas), model.onnx (raw pixels in; Score and class index out)"),
                ("durations", string.Join(", ", result.Record.Durations.Select(d => $"{d.Key} {d.Value.TotalSeconds:F0} s")) + $", total {total.TotalSeconds:F0} s"),
            ]);
            AnsiConsole.WriteLine($"chosen: {result.Architecture} ({result.Parameters:N0} params, {result.Flops:N0} FLOPs)");
            AnsiConsole.WriteLine($"test accuracy through ML.NET/ONNX Runtime: {metrics.MicroAccuracy:P2}; {total.TotalSeconds:F0} s in all");
            AnsiConsole.WriteLine($"model: {Path.Combine(dir, "model.zip")}; report: {report}");
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>Channels, side and classes of the raw view (Features [C, H, W], Label text).</summary>
    private static (int Channels, int Size, int Classes) Shape(MLContext ml, IDataView train)
    {
        var dims = ((VectorDataViewType)train.Schema["Features"].Type).Dimensions;
        var classes = train.GetColumn<string>("Label").Distinct().Count();
        return dims.Length == 3 ? (dims[0], dims[1], classes) : (1, dims[0], classes);
    }
}
