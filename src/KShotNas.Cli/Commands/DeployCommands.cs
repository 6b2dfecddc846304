using System.CommandLine;
using KShotNas.Api;
using KShotNas.Data;
using KShotNas.Deployment;
using KShotNas.Onnx;
using KShotNas.Reliability;
using KShotNas.Onnx.Runtime;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>`kshotnas retrain`, `export`, `predict`.</summary>
internal static class RetrainCommand
{
    public static Command Create()
    {
        var space = new Option<string>("--space") { Description = "Space descriptor.", DefaultValueFactory = _ => "nb201:fashion-small" };
        var arch = new Option<string>("--arch") { Description = "Architecture in the space's string form.", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (cosine SGD).", DefaultValueFactory = _ => 3 };
        var images = new Option<int?>("--train-images") { Description = "Use this many training images (default all 60,000)." };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var recipe = new Option<TrainingRecipe>("--recipe") { Description = "CosineSgd or RmsPropEma (warm-up, step decay, EMA).", DefaultValueFactory = _ => TrainingRecipe.CosineSgd };
        var output = new Option<string>("--out") { Description = "Model file to write (.safetensors).", Required = true };
        var command = new Command("retrain", "Train an architecture's stand-alone network from scratch on Fashion-MNIST; prints test accuracy.")
        {
            space, arch, epochs, images, seed, threads, recipe, output,
        };
        command.SetAction((p, ct) =>
        {
            OptionChecks.AtLeast("--epochs", p.GetValue(epochs), 1);
            CliChecks.AtLeast("--train-images", p.GetValue(images), 1);
            var s = SpaceCatalog.Create(p.GetValue(space)!);
            var architecture = s.Parse(p.GetValue(arch)!);
            var outPath = OptionChecks.WritableFile("--out", p.GetValue(output));
            using var runLock = RunLock.Acquire(outPath, isFolder: false);
            CliChecks.TorchThreads(p.GetValue(threads));
            var source = CliData.Source(p, s);
            using var all = source.Load(DataSplit.Train);
            CliData.CheckSpace(s, all, source);
            using var subset = p.GetValue(images) is { } n ? all.Subset(n, p.GetValue(seed)) : null;
            using var test = source.Load(DataSplit.Test);
            var options = new ClassifierTrainerOptions { Epochs = p.GetValue(epochs), Seed = p.GetValue(seed), Recipe = p.GetValue(recipe) };
            var data = subset ?? all;
            var (network, result) = ProgressDisplay.Run((long)data.BatchCount(options.BatchSize) * options.Epochs,
                progress => CellRetraining.Retrain(s, architecture, data, test, options, progress, ct));
            using var model = new KShotNasModel(network);
            model.Save(p.GetValue(output)!);
            AnsiConsole.WriteLine($"{model.ArchitectureText}: test accuracy {result.TestAccuracy:P2} ({result.Duration.TotalSeconds:F0} s); model {p.GetValue(output)}");
            return Task.FromResult(0);
        });
        return command;
    }
}

internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.safetensors) from retrain or run.", Required = true };
        var output = new Option<string>("--out") { Description = "ONNX file to write.", Required = true };
        var command = new Command("export", "Export a model to ONNX (opset 13).") { model, output };
        command.SetAction(p =>
        {
            var modelPath = OptionChecks.ExistingFile("--model", p.GetValue(model));
            var outPath = OptionChecks.WritableFile("--out", p.GetValue(output));
            using var runLock = RunLock.Acquire(outPath, isFolder: false);
            using var m = KShotNasModel.Load(modelPath);
            m.ExportOnnx(outPath);
            AnsiConsole.WriteLine($"{m.ArchitectureText} -> {p.GetValue(output)}");
            return 0;
        });
        return command;
    }
}

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX file.", Required = true };
        var count = new Option<int>("--count") { Description = "Predict this many Fashion-MNIST test images (and report accuracy).", DefaultValueFactory = _ => 10_000 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("predict", "Classify Fashion-MNIST test images with an exported model through ONNX Runtime.") { model, count, threads };
        command.SetAction(p =>
        {
            OptionChecks.AtLeast("--count", p.GetValue(count), 1);
            var threadCount = CliChecks.Threads(p.GetValue(threads));
            var modelPath = OptionChecks.ExistingFile("--model", p.GetValue(model));
            using var test = CliData.Source(p).Load(DataSplit.Test);
            // The graph must take the data's images and give one score per class, or the accuracy would be meaningless.
            OnnxModelCheck.RequireClassifier(modelPath, (int)test.ImageShape[0], (int)test.ImageShape[1], (int)test.ImageShape[2], test.Classes);
            using var subset = test.Subset(Math.Min(p.GetValue(count), test.Count), 0);
            var accuracy = Accuracy(modelPath, subset, threadCount);
            AnsiConsole.WriteLine($"{subset.Count} images, accuracy {accuracy:P2} (ONNX Runtime {OnnxPredictor.RuntimeVersion})");
            return 0;
        });
        return command;
    }

    /// <summary>Accuracy of an ONNX model on a dataset, in batches of 1,000, through ONNX Runtime.</summary>
    public static double Accuracy(string onnxPath, ImageDataset data, int threads)
    {
        using var predictor = new OnnxPredictor(onnxPath, threads);
        long correct = 0;
        foreach (var (images, labels) in data.Batches(1000))
        {
            using var x = images;
            using var y = labels;
            var logits = predictor.Predict(x.Contiguous().ToArray<float>(), (int)y.Size(0));
            var truth = y.ToArray<long>();
            for (var i = 0; i < truth.Length; i++)
            {
                var row = logits.AsSpan(i * predictor.Classes, predictor.Classes);
                var best = 0;
                for (var c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
                if (best == truth[i]) correct++;
            }
        }
        return (double)correct / data.Count;
    }
}
