using System.Runtime.InteropServices;

namespace KShotNas.Cli;

/// <summary>
/// SIGINT and SIGTERM cancel the command's token instead of killing the process, so training and search write their
/// state before exiting (exit 130 / 143). A second signal, or a command that has not stopped after a grace period,
/// ends the process at once.
/// </summary>
internal sealed class Signals : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);
    private readonly CancellationTokenSource _cts = new();
    private readonly List<PosixSignalRegistration> _registrations = new();

    private Signals() { }

    /// <summary>A received signal: its name and the exit code it maps to (128 + number).</summary>
    public sealed record Signal(string Name, int ExitCode);

    /// <summary>Cancelled when a signal arrives.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>The first signal received, if any.</summary>
    public Signal? Received { get; private set; }

    /// <summary>Starts handling SIGINT and SIGTERM.</summary>
    public static Signals Install()
    {
        var s = new Signals();
        s._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, c => s.On(c, new Signal("SIGINT", 130))));
        s._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => s.On(c, new Signal("SIGTERM", 143))));
        return s;
    }

    private void On(PosixSignalContext context, Signal signal)
    {
        if (Received is not null)
        {
            Console.Error.WriteLine($"kshotnas: {signal.Name} again: exiting without waiting.");
            Environment.Exit(signal.ExitCode);
        }
        context.Cancel = true; // keep running until the command has saved its state
        Received = signal;
        Console.Error.WriteLine($"kshotnas: {signal.Name} received: saving state and stopping (send it again to stop at once).");
        _cts.Cancel();
        _ = Task.Delay(Grace).ContinueWith(_ =>
        {
            Console.Error.WriteLine($"kshotnas: the command did not stop within {Grace.TotalSeconds:F0} s of {signal.Name}; exiting.");
            Environment.Exit(signal.ExitCode);
        }, TaskScheduler.Default);
    }

    /// <summary>Stops handling signals.</summary>
    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
