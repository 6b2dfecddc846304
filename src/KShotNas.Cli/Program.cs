using System.CommandLine;
using KShotNas.Cli.Commands;
using KShotNas.Torch;

var root = new RootCommand("KShotNas: weight-sharing neural architecture search on libtorch, for .NET.");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(TrainCnnCommand.Create("train-cnn", "Train the small baseline CNN on Fashion-MNIST and print its test accuracy."));
root.Subcommands.Add(SupernetTrainCommand.Create());
root.Subcommands.Add(SupernetScoreCommand.Create());
root.Subcommands.Add(RankCommand.Create());
root.Subcommands.Add(CodesCommand.Create());
root.Subcommands.Add(SearchCommands.Search());
root.Subcommands.Add(SearchCommands.Benchmark());
root.Subcommands.Add(RetrainCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(StudyCommands.Select());
root.Subcommands.Add(StudyCommands.Reference());
root.Subcommands.Add(StudyCommands.Summary());
root.Subcommands.Add(StudyCommands.Report());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(LaunchCommand.Create(root));
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is NativeLibraryException or TorchException or IOException or InvalidDataException or KeyNotFoundException
                           or ArgumentException or FormatException
                           or NotSupportedException or OperationCanceledException)
{
    // Expected failures (bad input, missing files, native errors) get one clear line, not a stack trace.
    Console.Error.WriteLine($"kshotnas: {e.GetType().Name}: {e.Message}");
    return e is OperationCanceledException ? 130 : 1;
}
