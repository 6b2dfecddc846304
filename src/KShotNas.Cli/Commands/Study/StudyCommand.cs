using System.CommandLine;

namespace KShotNas.Cli.Commands.Study;

/// <summary>
/// `kshotnas study ...`: the research commands (the ranking study, the pick check, ranking metrics, K-shot codes,
/// strategy benchmarks on tables, the baseline CNN), kept under one group so that the top level shows the product.
/// </summary>
internal static class StudyCommand
{
    public static Command Create()
    {
        var command = new Command("study", "Research commands: the ranking study, the pick check, ranking metrics, K-shot codes, strategy benchmarks, the baseline CNN.");
        command.Subcommands.Add(StudyCommands.Select());
        command.Subcommands.Add(StudyCommands.Reference());
        command.Subcommands.Add(StudyCommands.Summary());
        command.Subcommands.Add(StudyCommands.Report());
        command.Subcommands.Add(PickCheckCommand.Create());
        command.Subcommands.Add(RankCommand.Create());
        command.Subcommands.Add(CodesCommand.Create());
        command.Subcommands.Add(SearchBenchmarkCommand.Create());
        command.Subcommands.Add(TrainCnnCommand.Create());
        return command;
    }
}
