using System.CommandLine;
using KShotNas.Cli;
using KShotNas.Cli.Commands;
using KShotNas.Cli.Commands.Study;

var root = new RootCommand("KShotNas: weight-sharing neural architecture search on libtorch, for .NET.");
root.Options.Add(CliData.Option);
root.Options.Add(CliData.ImageSize);
root.Options.Add(CliData.SkipBadImages);
var verbose = new Option<bool>("--verbose") { Description = "On an error, print the stack trace too.", Recursive = true };
root.Options.Add(verbose);
// The product, in the order of its help: the main job and what follows it, then the steps one at a time.
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(RetrainCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ExportImagesCommand.Create());
root.Subcommands.Add(SupernetTrainCommand.Create());
root.Subcommands.Add(SupernetScoreCommand.Create());
root.Subcommands.Add(SearchCommands.Search());
root.Subcommands.Add(LaunchCommand.Create(root));
root.Subcommands.Add(InfoCommand.Create());
// The research harness, under one group: `kshotnas study ...`.
root.Subcommands.Add(StudyCommand.Create());

// One error boundary: every failure is one line on stderr and exit 1 (2 for usage), never a stack trace unless --verbose.
var parse = root.Parse(args);
if (parse.Errors.Count > 0) return ErrorBoundary.UsageErrors(parse);
using var signals = Signals.Install();
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
        signals.Token);
}
catch (Exception e)
{
    return ErrorBoundary.Report(e, parse.GetValue(verbose), signals);
}
