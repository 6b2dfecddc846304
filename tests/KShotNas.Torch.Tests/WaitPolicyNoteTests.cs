using KShotNas.Torch;

namespace KShotNas.Torch.Tests;

// OMP_WAIT_POLICY=PASSIVE halved a 2-thread fit's steps on one machine (docs/benchmarks.md): runs with more than one
// thread say so in their log. The variable is read when the note is asked for, so the test sets it in-process.
public class WaitPolicyNoteTests
{
    [Fact]
    public void PassiveWithSeveralThreadsGivesANoteAndNothingElseDoes()
    {
        var before = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        try
        {
            Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", " passive ");
            var note = TorchRuntime.WaitPolicyNote(2);
            Assert.NotNull(note);
            Assert.Contains("OMP_WAIT_POLICY=PASSIVE", note);
            Assert.Contains("2 threads", note);
            Assert.Null(TorchRuntime.WaitPolicyNote(1)); // one thread has no workers to wake

            Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "ACTIVE");
            Assert.Null(TorchRuntime.WaitPolicyNote(2));
            Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", null);
            Assert.Null(TorchRuntime.WaitPolicyNote(2));
        }
        finally
        {
            Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", before);
        }
    }
}
