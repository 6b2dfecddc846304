using System.CommandLine;
using KShotNas.Data;
using KShotNas.Models;
using KShotNas.Torch;
using KShotNas.Torch.Serialization;
using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands.Study;

/// <summary>`kshotnas study train-cnn`: trains the small baseline CNN on Fashion-MNIST (the engine's end-to-end check).</summary>
internal static class TrainCnnCommand
{
    public static Command Create()
    {
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 4 };
        var batch = new Option<int>("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "Initial learning rate (cosine schedule).", DefaultValueFactory = _ => 0.02 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<int>("--seed") { Description = "Seed of initialization and data order.", DefaultValueFactory = _ => 0 };
        var subset = new Option<int?>("--subset") { Description = "Train on this many images only (default: all 60,000)." };
        var save = new Option<string?>("--save") { Description = "Write the trained weights to this .safetensors file." };
        var command = new Command("train-cnn", "Train the small baseline CNN on Fashion-MNIST and print its test accuracy.") { epochs, batch, lr, threads, seed, subset, save };
        command.SetAction((parse, ct) => Task.FromResult(Run(new ClassifierTrainerOptions
        {
            Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr), Seed = parse.GetValue(seed),
        }, parse.GetValue(threads), parse.GetValue(subset), CliData.Source(parse), parse.GetValue(save), ct)));
        return command;
    }

    private static int Run(ClassifierTrainerOptions options, int threads, int? subset, KShotNas.MLNet.DataSource source, string? save, CancellationToken ct)
    {
        Reliability.OptionChecks.AtLeast("--epochs", options.Epochs, 1);
        Reliability.OptionChecks.AtLeast("--batch-size", options.BatchSize, 1);
        Reliability.OptionChecks.Positive("--lr", options.LearningRate);
        CliChecks.AtLeast("--subset", subset, 1);
        if (save is not null) Reliability.OptionChecks.WritableFile("--save", save);
        CliChecks.TorchThreads(threads);
        TorchRuntime.ManualSeed((ulong)options.Seed);
        using var fullTrain = source.Load(DataSplit.Train);
        using var test = source.Load(DataSplit.Test);
        using var train = subset is { } n ? fullTrain.Subset(n, options.Seed) : null;
        var data = train ?? fullTrain;
        using var model = new SmallCnn();
        AnsiConsole.MarkupLine($"Training SmallCnn ({model.ParameterCount():N0} parameters) on {data.Count:N0} images of {Markup.Escape(source.Description)}, "
                               + $"{options.Epochs} epochs, batch {options.BatchSize}, {threads} threads.");
        var trainer = new ClassifierTrainer(options);
        var result = ProgressDisplay.Run(options.Epochs * (long)data.BatchCount(options.BatchSize),
            progress => trainer.Fit(model, data, test, progress, ct));
        AnsiConsole.MarkupLine($"test accuracy: [bold]{result.TestAccuracy:P2}[/] ({result.Steps} steps, {result.Duration.TotalSeconds:F1} s)");
        if (save is not null)
        {
            SafeTensors.Save(save, model.StateDict(), new Dictionary<string, string> { ["model"] = nameof(SmallCnn) });
            AnsiConsole.MarkupLine($"weights written to {Markup.Escape(save)}");
        }
        return 0;
    }
}
