using System.CommandLine;
using System.Reflection;
using KShotNas.Reliability;

namespace KShotNas.Cli;

/// <summary>Turns any failure into one line on stderr and an exit code: 1 for failures, 2 for usage errors, 130/143 for signals.</summary>
internal static class ErrorBoundary
{
    /// <summary>Exit code of a usage error (bad or missing option).</summary>
    public const int Usage = 2;

    /// <summary>Prints the parser's errors and returns <see cref="Usage"/>.</summary>
    public static int UsageErrors(ParseResult parse)
    {
        foreach (var e in parse.Errors) Console.Error.WriteLine($"kshotnas: usage: {e.Message}");
        // The command's whole path below the root (e.g. "study report"), so that the hint names a command that exists.
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command.Name);
        var command = string.Join(' ', names);
        Console.Error.WriteLine($"kshotnas: see 'kshotnas {command}{(command.Length > 0 ? " " : "")}--help'.");
        return Usage;
    }

    /// <summary>Reports <paramref name="error"/> and returns the exit code.</summary>
    public static int Report(Exception error, bool verbose, Signals signals)
    {
        var e = Unwrap(error);
        var (code, line) = e switch
        {
            OperationCanceledException when signals.Received is { } s =>
                (s.ExitCode, $"stopped by {s.Name}: {(e is RunInterruptedException ? e.Message : "the command was interrupted.")}"),
            OperationCanceledException => (130, $"cancelled: {e.Message}"),
            ArgumentException => (Usage, $"usage: {e.Message}"),
            DivergenceException or ConfigMismatchException or RunLockedException => (1, e.Message),
            IOException or UnauthorizedAccessException or InvalidDataException or FormatException or KeyNotFoundException
                or NotSupportedException or Torch.TorchException or Torch.NativeLibraryException => (1, e.Message),
            OutOfMemoryException => (1, "out of memory: " + e.Message + " Use smaller batches, fewer images or a smaller space."),
            _ => (1, $"internal error ({e.GetType().Name}): {e.Message}"
                     + (verbose ? "" : " Rerun with --verbose for the stack trace, and please report it.")),
        };
        Console.Error.WriteLine($"kshotnas: error: {line}");
        if (verbose) Console.Error.WriteLine(error);
        return code;
    }

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } a: e = a.InnerExceptions[0]; continue;
                case TargetInvocationException { InnerException: { } inner }: e = inner; continue;
                case TypeInitializationException { InnerException: { } inner }: e = inner; continue;
                default: return e;
            }
        }
    }
}
