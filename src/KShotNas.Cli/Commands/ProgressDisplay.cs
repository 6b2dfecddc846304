using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>Shows training progress: a live bar on a terminal, plain lines when output is redirected (CI, logs).</summary>
internal static class ProgressDisplay
{
    public static T Run<T>(long totalSteps, Func<IProgress<TrainingProgress>, T> work) =>
        Run(totalSteps, p => p.Step, Describe, work);

    /// <summary>Runs <paramref name="work"/> with a progress reporter of any report type.</summary>
    public static T Run<TProgress, T>(long totalSteps, Func<TProgress, long> stepOf, Func<TProgress, string> describe,
        Func<IProgress<TProgress>, T> work)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(new SyncProgress<TProgress>(p => Console.WriteLine(describe(p))));
        return AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: totalSteps);
                return work(new SyncProgress<TProgress>(p =>
                {
                    task.Value = stepOf(p);
                    task.Description = Markup.Escape(describe(p));
                }));
            });
    }

    private static string Describe(TrainingProgress p) =>
        $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} acc {p.Accuracy:P1} lr {p.LearningRate:G3} {p.ImagesPerSecond:F0} img/s";
}
