namespace KShotNas.Reliability;

/// <summary>An option or input value is out of range or unusable; a usage error (the CLI exits with 2).</summary>
public sealed class InvalidOptionException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="option"/> (e.g. "--lr").</summary>
    public InvalidOptionException(string option, string message) : base($"{option}: {message}") => Option = option;

    /// <summary>The option, as the user typed it.</summary>
    public string Option { get; }
}

/// <summary>
/// Training produced a non-finite loss, gradient or weight. The message names the step and the last good
/// checkpoint, from which a run with other settings can continue.
/// </summary>
public sealed class DivergenceException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The step (1-based) whose loss, gradient or update went non-finite.</param>
    /// <param name="what">What went non-finite, e.g. "loss is NaN".</param>
    /// <param name="lastGoodCheckpoint">The last checkpoint written with finite weights, or null.</param>
    /// <param name="lastGoodStep">The step of that checkpoint.</param>
    public DivergenceException(long step, string what, string? lastGoodCheckpoint, long lastGoodStep)
        : base($"training diverged at step {step}: {what}. "
               + (lastGoodCheckpoint is null
                   ? "No checkpoint was written before it. "
                   : $"The last good checkpoint is {lastGoodCheckpoint} (step {lastGoodStep}). ")
               + "Lower the learning rate or clip gradients (--lr, --clip).")
    {
        Step = step;
        LastGoodCheckpoint = lastGoodCheckpoint;
        LastGoodStep = lastGoodStep;
    }

    /// <summary>The step that diverged.</summary>
    public long Step { get; }

    /// <summary>The last checkpoint with finite weights (null: none).</summary>
    public string? LastGoodCheckpoint { get; }

    /// <summary>The step of <see cref="LastGoodCheckpoint"/>.</summary>
    public long LastGoodStep { get; }
}

/// <summary>A run was interrupted (SIGINT, SIGTERM, cancellation) after writing its state; it continues with --resume.</summary>
public sealed class RunInterruptedException : OperationCanceledException
{
    /// <summary>Creates the exception naming where the state was saved.</summary>
    public RunInterruptedException(string message, CancellationToken token) : base(message, token) { }
}

/// <summary>A resumed run's settings differ from those the saved state was written with.</summary>
public sealed class ConfigMismatchException : Exception
{
    /// <summary>Creates the exception listing the differing settings.</summary>
    public ConfigMismatchException(string what, IReadOnlyList<string> differences)
        : base($"cannot resume {what}: it was written with other settings ({string.Join("; ", differences)}). "
               + "Resume with the same settings, or write to a new --out.") => Differences = differences;

    /// <summary>One line per differing setting: "name: saved X, now Y".</summary>
    public IReadOnlyList<string> Differences { get; }
}

/// <summary>Another process holds the lock of an output.</summary>
public sealed class RunLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public RunLockedException(string output, string lockFile)
        : base($"{output} is in use by another kshotnas process (lock {lockFile}); wait for it to finish or choose another --out.") { }
}
