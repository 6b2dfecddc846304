using KShotNas.Training;

namespace KShotNas.Core.Tests;

/// <summary>A clock-driven run's progress total is the steps its time allows at the rate so far, not the planned count.</summary>
public class TimedProgressTests
{
    [Fact]
    public void UntimedRunsReportThePlannedCount() =>
        Assert.Equal(500, TimedProgress.Total(step: 100, firstStep: 0, planned: 500, limit: null, elapsed: TimeSpan.FromSeconds(10)));

    [Fact]
    public void TimedRunsProjectTheirRate()
    {
        var limit = TimeSpan.FromSeconds(40);
        // 100 steps in the first 10 s of 40: 300 more fit, whatever was planned.
        Assert.Equal(400, TimedProgress.Total(100, 0, planned: 250, limit, TimeSpan.FromSeconds(10)));
        // Resumed at step 1,000: only the steps since count towards the rate.
        Assert.Equal(1_400, TimedProgress.Total(1_100, 1_000, planned: 5_000, limit, TimeSpan.FromSeconds(10)));
        // Time up: the total is what was done, so a finished run reads n/n.
        Assert.Equal(8_226, TimedProgress.Total(8_226, 0, planned: 5_133, limit, TimeSpan.FromSeconds(41)));
        // No rate yet: the plan, never below the steps done.
        Assert.Equal(250, TimedProgress.Total(0, 0, planned: 250, limit, TimeSpan.Zero));
    }
}
