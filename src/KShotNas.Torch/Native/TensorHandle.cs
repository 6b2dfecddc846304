using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

/// <summary>Owns one native tensor handle; releasing it frees the handle (the storage is freed when unreferenced).</summary>
internal sealed class TensorHandle : SafeHandle
{
    internal TensorHandle(IntPtr ptr) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(ptr);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => TensorNative.kst_tensor_free(handle) == 0;
}
