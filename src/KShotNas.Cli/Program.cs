using System.CommandLine;
using KShotNas.Cli.Commands;

var root = new RootCommand("KShotNas: weight-sharing neural architecture search on libtorch, for .NET.");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(TrainCnnCommand.Create("train-cnn", "Train the small baseline CNN on Fashion-MNIST and print its test accuracy."));
root.Subcommands.Add(TrainCnnCommand.Create("run",
    "The main job. For now: train the small CNN on the full Fashion-MNIST training set and print its test accuracy."));
return await root.Parse(args).InvokeAsync();
