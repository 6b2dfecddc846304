using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

internal static partial class NnNative
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    [LibraryImport(Lib)]
    internal static partial int kst_conv2d(IntPtr input, IntPtr weight, IntPtr bias, long strideH, long strideW,
        long padH, long padW, long dilation, long groups, out IntPtr result);
    [LibraryImport(Lib)]
    internal static partial int kst_batch_norm(IntPtr input, IntPtr weight, IntPtr bias, IntPtr runningMean,
        IntPtr runningVar, int training, double momentum, double eps, out IntPtr result);
    [LibraryImport(Lib)]
    internal static partial int kst_batch_norm_into(IntPtr input, IntPtr weight, IntPtr bias, IntPtr runningMean,
        IntPtr runningVar, int training, double momentum, double eps, IntPtr target, int accumulate, int relu);
    [LibraryImport(Lib)]
    internal static unsafe partial int kst_normalized_sum(IntPtr[] terms, int[] kinds, int count, double eps, IntPtr target,
        int relu, IntPtr reluCopy, IntPtr* pooled);
    [LibraryImport(Lib)]
    internal static unsafe partial int kst_channel_moments(IntPtr input, double* mean, double* var, long channels);
    [LibraryImport(Lib)] internal static partial int kst_linear(IntPtr input, IntPtr weight, IntPtr bias, out IntPtr result);
    [LibraryImport(Lib)]
    internal static partial int kst_pool2d(int kind, IntPtr input, long kernel, long stride, long padding,
        int countIncludePad, int ceilMode, out IntPtr result);
    [LibraryImport(Lib)]
    internal static partial int kst_avg_pool2d_add_(IntPtr target, IntPtr input, long kernel, long stride, long padding, int countIncludePad);
    [LibraryImport(Lib)] internal static partial int kst_adaptive_avg_pool2d(IntPtr input, long outH, long outW, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_softmax(int kind, IntPtr input, long dim, out IntPtr result);
    [LibraryImport(Lib)]
    internal static partial int kst_cross_entropy(IntPtr logits, IntPtr target, double labelSmoothing, int reduction, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_dropout(IntPtr input, double p, int training, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_init_(int kind, IntPtr t, double a, double b);
}
