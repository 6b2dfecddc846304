using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

internal static partial class AutogradNative
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    [LibraryImport(Lib)] internal static partial int kst_set_requires_grad(IntPtr t, int value);
    [LibraryImport(Lib)] internal static partial int kst_requires_grad(IntPtr t, out int value);
    [LibraryImport(Lib)] internal static partial int kst_backward(IntPtr t, IntPtr grad, int retainGraph);
    [LibraryImport(Lib)] internal static partial int kst_grad(IntPtr t, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int kst_set_grad_enabled(int enabled, out int previous);
    [LibraryImport(Lib)] internal static partial int kst_grad_enabled(out int enabled);
}
