using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

internal static unsafe partial class TensorNative
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    [LibraryImport(Lib)] internal static partial int kst_tensor_free(IntPtr t);
    [LibraryImport(Lib)]
    internal static partial int kst_tensor_from_data(void* data, long nbytes, long* shape, int ndim, int dtype,
        int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_tensor_copy_to(IntPtr t, void* dst, long nbytes);
    [LibraryImport(Lib)]
    internal static partial int kst_tensor_create(int kind, long* shape, int ndim, double value, int dtype,
        int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_tensor_arange(long n, int dtype, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_tensor_randint(long low, long high, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_tensor_randperm(long n, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_tensor_empty_like(IntPtr t, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_tensor_ndim(IntPtr t, out int ndim);
    [LibraryImport(Lib)] internal static partial int kst_tensor_shape(IntPtr t, long* shape, int capacity);
    [LibraryImport(Lib)] internal static partial int kst_tensor_dtype(IntPtr t, out int dtype);
    [LibraryImport(Lib)] internal static partial int kst_tensor_device(IntPtr t, out int type, out int index);
    [LibraryImport(Lib)] internal static partial int kst_tensor_numel(IntPtr t, out long numel);
    [LibraryImport(Lib)] internal static partial int kst_tensor_item(IntPtr t, out double value);
    [LibraryImport(Lib)] internal static partial int kst_tensor_convert(IntPtr t, int kind, int arg, int arg2, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_tensor_alias(IntPtr t, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_tensor_set_data(IntPtr t, IntPtr source);
}
