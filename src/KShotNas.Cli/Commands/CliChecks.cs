using KShotNas.Reliability;

namespace KShotNas.Cli.Commands;

/// <summary>CLI-side use of <see cref="OptionChecks"/>: warnings go to stderr, libtorch threads are set once checked.</summary>
internal static class CliChecks
{
    /// <summary>Prints a warning line on stderr.</summary>
    public static void Warn(string message) => Console.Error.WriteLine($"kshotnas: warning: {message}");

    /// <summary>A checked, capped thread count.</summary>
    public static int Threads(int requested, string option = "--threads") => OptionChecks.Threads(option, requested, Warn);

    /// <summary>Checks the thread count and gives it to libtorch.</summary>
    public static void TorchThreads(int requested) => Torch.TorchRuntime.Threads = Threads(requested);

    /// <summary>Requires an optional count to be at least <paramref name="min"/> when given.</summary>
    public static int? AtLeast(string option, int? value, int min) => value is { } v ? OptionChecks.AtLeast(option, v, min) : null;

    /// <summary>Requires an optional limit to be at least <paramref name="min"/> when given.</summary>
    public static long? AtLeast(string option, long? value, long min) => value is { } v ? OptionChecks.AtLeast(option, v, min) : null;
}
