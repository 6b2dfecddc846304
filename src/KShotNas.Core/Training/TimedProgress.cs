namespace KShotNas.Training;

/// <summary>
/// The total a progress report of a clock-driven run gives. Such a run ends when its time is up, not at its planned
/// step count, and the plan comes from a few probed steps: the main job planned 5,133 retraining steps and ran 8,226
/// (2026-12-05), so reports read "8200/5133". The total reported is the steps the time allows at the rate so far.
/// </summary>
public static class TimedProgress
{
    /// <summary>
    /// <paramref name="planned"/> when the run has no time limit; otherwise the steps done plus those the time left allows
    /// at the rate since <paramref name="firstStep"/> (the step the run resumed from), and the steps done once it is up.
    /// </summary>
    public static long Total(long step, long firstStep, long planned, TimeSpan? limit, TimeSpan elapsed)
    {
        if (limit is not { } l) return planned;
        if (elapsed >= l) return step;
        if (step <= firstStep || elapsed <= TimeSpan.Zero) return Math.Max(step, planned); // no rate yet
        var rate = (step - firstStep) / elapsed.TotalSeconds;
        return step + (long)Math.Round(rate * (l - elapsed).TotalSeconds);
    }
}
