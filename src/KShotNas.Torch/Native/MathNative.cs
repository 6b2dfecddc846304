using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

// Op codes passed to the grouped entry points; they mirror the switch statements in native/src/math.cpp.
internal enum UnaryOp { Relu, Relu6, Neg, Exp, Log, Sqrt, Abs, Sigmoid, Tanh, Square, LogicalNot }
internal enum BinaryOp { Add, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge, Maximum, Minimum, Pow, MatMul }
internal enum ScalarOp { Add, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge, ClampMin, ClampMax, Pow }
internal enum InPlaceOp { Add, Sub, Mul, Div, Copy }
internal enum InPlaceScalarOp { Add, Sub, Mul, Div, Fill, Zero, ClampMin, ClampMax }
internal enum ReduceOp { Sum, Mean, Max, Min, Var, Std }

internal static unsafe partial class MathNative
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    [LibraryImport(Lib)] internal static partial int kst_unary(int op, IntPtr a, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_binary(int op, IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_binary_scalar(int op, IntPtr a, double s, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_inplace(int op, IntPtr a, IntPtr b, double alpha);
    [LibraryImport(Lib)] internal static partial int kst_inplace_scalar(int op, IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial int kst_reduce(int op, IntPtr a, long* dims, int ndims, int keepdim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_argmax(IntPtr a, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_reshape(IntPtr a, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_permute(IntPtr a, long* dims, int ndim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_flatten(IntPtr a, long start, long end, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_narrow(IntPtr a, long dim, long start, long length, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_unsqueeze(IntPtr a, long dim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_cat(IntPtr* ts, int n, long dim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_stack(IntPtr* ts, int n, long dim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_index_select(IntPtr a, long dim, IntPtr index, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_where(IntPtr cond, IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int kst_allclose(IntPtr a, IntPtr b, double rtol, double atol, out int result);
}
