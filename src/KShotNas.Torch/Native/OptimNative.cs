using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

internal static unsafe partial class OptimNative
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    [LibraryImport(Lib)]
    internal static partial int kst_sgd_step(IntPtr* parameters, IntPtr* buffers, int n, double lr, double momentum,
        double weightDecay, int nesterov, int untouched);
    [LibraryImport(Lib)]
    internal static partial int kst_rmsprop_step(IntPtr* parameters, IntPtr* squareAvg, IntPtr* momentumBuf, int n,
        double lr, double alpha, double eps, double momentum, double weightDecay, int epsInside);
    [LibraryImport(Lib)] internal static partial int kst_clip_grad_norm(IntPtr* parameters, int n, double maxNorm, out double totalNorm);
    [LibraryImport(Lib)] internal static partial int kst_zero_grad(IntPtr* parameters, int n);
    [LibraryImport(Lib)] internal static partial int kst_ema_update(IntPtr* ema, IntPtr* parameters, int n, double decay);
}
