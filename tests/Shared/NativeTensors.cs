using KShotNas.Torch;

namespace KShotNas.Tests.Shared;

/// <summary>Live native tensor counts for leak checks.</summary>
internal static class NativeTensors
{
    /// <summary>
    /// The live count once earlier tests' unreferenced tensors are finalized. Read without this, a baseline can
    /// include tensors that the finalizer thread frees in the middle of the test, and the test then sees fewer at
    /// its end than at its start (CI saw 8 then 0).
    /// </summary>
    public static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return TorchRuntime.LiveNativeTensors;
    }
}
