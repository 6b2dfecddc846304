using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

internal static unsafe partial class DistributedNative
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int kst_pg_create(string masterAddr, int port, int rank, int world, long timeoutMs, out IntPtr group);
    [LibraryImport(Lib)] internal static partial int kst_pg_free(IntPtr group);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int kst_pg_allreduce(ProcessGroupHandle group, IntPtr* tensors, int n, int average, string label);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int kst_pg_allreduce_grads(ProcessGroupHandle group, IntPtr* parameters, int n, int average, string label, out long elements);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int kst_pg_broadcast(ProcessGroupHandle group, IntPtr* tensors, int n, int root, string label);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int kst_pg_allgather(ProcessGroupHandle group, IntPtr tensor, string label, out IntPtr result);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int kst_pg_barrier(ProcessGroupHandle group, string label);
}

/// <summary>Owns a native process group (its store connection and Gloo context); releasing it closes both.</summary>
internal sealed class ProcessGroupHandle : SafeHandle
{
    public ProcessGroupHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal ProcessGroupHandle(IntPtr ptr) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(ptr);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => DistributedNative.kst_pg_free(handle) == 0;
}
