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

    /// <summary>
    /// A line for the log when <c>OMP_WAIT_POLICY=PASSIVE</c> is set and a run uses more than one thread, otherwise null.
    /// libgomp's workers then sleep between parallel operations; on one machine of this kind a single 2-thread fit
    /// trained 1.8-2.2x fewer steps under it (docs/benchmarks.md). The policy helps only runs that share the cores.
    /// </summary>
    /// <param name="threads">The run's intra-op thread count.</param>
    public static string? WaitPolicyNote(int threads) =>
        threads > 1 && string.Equals(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")?.Trim(), "PASSIVE", StringComparison.OrdinalIgnoreCase)
            ? $"OMP_WAIT_POLICY=PASSIVE is set: the {threads} threads sleep between operations, which about halved a 2-thread fit's training "
              + "steps on one machine of this kind; unset it for a run that has the machine to itself (runs side by side: 1 thread each)"
            : null;

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

    /// <summary>
    /// Turns the native caching CPU allocator on (freed blocks of 64 KiB and more are kept, up to
    /// <paramref name="capBytes"/> cached, and reused at the same size) or off (the cache is freed). libtorch 1.13 has
    /// no CPU cache: without it glibc maps and unmaps every block over 32 MiB and each reuse page-faults and zeroes
    /// its pages again, which cost large-batch scoring about half its time. The first call installs the allocator
    /// for the process; it also counts <see cref="CpuMemory"/> from then on.
    /// </summary>
    public static void ConfigureCpuCache(bool enabled, long capBytes = DefaultCpuCacheCap)
    {
        if (capBytes < 0) throw new ArgumentOutOfRangeException(nameof(capBytes), capBytes, "The cap must be at least 0.");
        Status.Check(RuntimeNative.kst_cpu_cache_configure(enabled ? 1 : 0, capBytes));
    }

    /// <summary>The default cap of cached bytes (1 GiB).</summary>
    public const long DefaultCpuCacheCap = 1L << 30;

    /// <summary>
    /// Bytes of CPU tensors allocated since <see cref="ConfigureCpuCache"/> was first called (zeros before), their
    /// peak since <see cref="ResetCpuPeak"/>, bytes held in the cache, and cache hits and misses.
    /// </summary>
    public static CpuMemoryStats CpuMemory
    {
        get
        {
            Status.Check(RuntimeNative.kst_cpu_cache_stats(out var inUse, out var peak, out var cached, out var hits, out var misses));
            return new CpuMemoryStats(inUse, peak, cached, hits, misses);
        }
    }

    /// <summary>Sets the peak of <see cref="CpuMemory"/> to the bytes in use now.</summary>
    public static void ResetCpuPeak() => Status.Check(RuntimeNative.kst_cpu_cache_reset_peak());

    /// <summary>Frees every block the CPU cache holds.</summary>
    public static void EmptyCpuCache() => Status.Check(RuntimeNative.kst_cpu_cache_empty());

    /// <summary>
    /// Whether this thread records operations for autograd (off inside <see cref="NoGradScope"/>): forwards that only
    /// score take their no-gradient kernels when it is off.
    /// </summary>
    public static bool GradEnabled
    {
        get
        {
            Status.Check(AutogradNative.kst_grad_enabled(out var enabled));
            return enabled != 0;
        }
    }

    /// <summary>Sets the thread's grad mode and returns the previous one.</summary>
    internal static bool SetGradEnabled(bool enabled)
    {
        Status.Check(AutogradNative.kst_set_grad_enabled(enabled ? 1 : 0, out var previous));
        return previous != 0;
    }
}

/// <summary>CPU tensor memory of the caching allocator, in bytes (see <see cref="TorchRuntime.CpuMemory"/>).</summary>
public readonly record struct CpuMemoryStats(long InUse, long Peak, long Cached, long Hits, long Misses);
