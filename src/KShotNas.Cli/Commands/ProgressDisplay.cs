using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>Shows training progress: a live bar on a terminal, plain lines when output is redirected (CI, logs).</summary>
internal static class ProgressDisplay
{
    public static T Run<T>(long totalSteps, Func<IProgress<TrainingProgress>, T> work)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(new Inline(p => Console.WriteLine(Describe(p))));
        return AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: totalSteps);
                return work(new Inline(p =>
                {
                    task.Value = p.Step;
                    task.Description = Markup.Escape(Describe(p));
                }));
            });
    }

    private static string Describe(TrainingProgress p) =>
        $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} acc {p.Accuracy:P1} lr {p.LearningRate:G3} {p.ImagesPerSecond:F0} img/s";

    /// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Inline(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
