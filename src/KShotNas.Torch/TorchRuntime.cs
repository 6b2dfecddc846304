using System.Runtime.InteropServices;
using KShotNas.Torch.Native;

namespace KShotNas.Torch;

/// <summary>Process-wide engine settings and statistics: threads, seeding, random state, versions.</summary>
public static class TorchRuntime
{
    /// <summary>The libtorch version the shim was built against.</summary>
    public static string LibTorchVersion => Marshal.PtrToStringUTF8(RuntimeNative.kst_torch_version()) ?? "?";

    /// <summary>The native shim's ABI version (checked against the binding at load time).</summary>
    public static int AbiVersion => RuntimeNative.kst_abi_version();

    /// <summary>
    /// Intra-op thread count. libtorch loaded from .NET starts with one thread; set it explicitly.
    /// </summary>
    public static int Threads
    {
        get { Status.Check(RuntimeNative.kst_get_num_threads(out var n)); return n; }
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "Thread count must be at least 1.");
            Status.Check(RuntimeNative.kst_set_num_threads(value));
        }
    }

    /// <summary>Seeds libtorch's default generator (initializers, rand, dropout).</summary>
    public static void ManualSeed(ulong seed) => Status.Check(RuntimeNative.kst_manual_seed(seed));

    /// <summary>The default CPU generator's state, as a uint8 tensor (for checkpoints).</summary>
    public static Tensor GetRngState()
    {
        Status.Check(RuntimeNative.kst_rng_get_state(out var p));
        return new Tensor(p);
    }

    /// <summary>Restores a state taken with <see cref="GetRngState"/>.</summary>
    public static void SetRngState(Tensor state) => Status.Check(RuntimeNative.kst_rng_set_state(state.Ptr));

    /// <summary>True when libtorch was built with CUDA and a GPU is visible.</summary>
    public static bool CudaAvailable
    {
        get { Status.Check(RuntimeNative.kst_cuda_is_available(out var a)); return a != 0; }
    }

    /// <summary>Native tensor handles alive in the process (all threads).</summary>
    public static long LiveNativeTensors
    {
        get { Status.Check(RuntimeNative.kst_live_tensors(out var n)); return n; }
    }

    /// <summary>Sets the thread's grad mode and returns the previous one.</summary>
    internal static bool SetGradEnabled(bool enabled)
    {
        Status.Check(AutogradNative.kst_set_grad_enabled(enabled ? 1 : 0, out var previous));
        return previous != 0;
    }
}
