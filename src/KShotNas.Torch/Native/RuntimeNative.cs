using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

internal static partial class RuntimeNative
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    [LibraryImport(Lib)] internal static partial int kst_abi_version();
    [LibraryImport(Lib)] internal static partial IntPtr kst_torch_version();
    [LibraryImport(Lib)] internal static partial int kst_live_tensors(out long count);
    [LibraryImport(Lib)] internal static partial int kst_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int kst_get_num_threads(out int n);
    [LibraryImport(Lib)] internal static partial int kst_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial int kst_rng_get_state(out IntPtr state);
    [LibraryImport(Lib)] internal static partial int kst_rng_set_state(IntPtr state);
    [LibraryImport(Lib)] internal static partial int kst_cuda_is_available(out int available);
    [LibraryImport(Lib)] internal static partial int kst_cpu_cache_configure(int enable, long capBytes);
    [LibraryImport(Lib)] internal static partial int kst_cpu_cache_stats(out long inUse, out long peak, out long cached, out long hits, out long misses);
    [LibraryImport(Lib)] internal static partial int kst_cpu_cache_reset_peak();
    [LibraryImport(Lib)] internal static partial int kst_cpu_cache_empty();
}
