using KShotNas.Torch.Native;

namespace KShotNas.Torch;

public sealed partial class Tensor
{
    private enum CreateKind { Empty, Zeros, Ones, Full, Rand, Randn }

    private static unsafe Tensor Create(CreateKind kind, ReadOnlySpan<long> shape, double value, DType dtype, Device? device)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return From(TensorNative.kst_tensor_create((int)kind, s, shape.Length, value, (int)dtype, (int)d.Type, d.Index, out var p), p);
    }

    /// <summary>An uninitialized tensor.</summary>
    public static Tensor Empty(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device? device = null) =>
        Create(CreateKind.Empty, shape, 0, dtype, device);

    /// <summary>
    /// An uninitialized tensor of <paramref name="like"/>'s shape, type and device, in its memory layout (a channels-last
    /// tensor gives a channels-last one, which the no-gradient kernels write without a copy).
    /// </summary>
    public static Tensor EmptyLike(Tensor like) => From(TensorNative.kst_tensor_empty_like(like.Ptr, out var p), p);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device? device = null) =>
        Create(CreateKind.Zeros, shape, 0, dtype, device);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device? device = null) =>
        Create(CreateKind.Ones, shape, 0, dtype, device);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(ReadOnlySpan<long> shape, double value, DType dtype = DType.Float32, Device? device = null) =>
        Create(CreateKind.Full, shape, value, dtype, device);

    /// <summary>Uniform samples in [0, 1) from libtorch's seeded generator.</summary>
    public static Tensor Rand(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device? device = null) =>
        Create(CreateKind.Rand, shape, 0, dtype, device);

    /// <summary>Standard normal samples from libtorch's seeded generator.</summary>
    public static Tensor Randn(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device? device = null) =>
        Create(CreateKind.Randn, shape, 0, dtype, device);

    /// <summary>A scalar (zero-dimensional) tensor.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full(ReadOnlySpan<long>.Empty, value, dtype);

    /// <summary>0, 1, ..., n-1.</summary>
    public static Tensor Arange(long n, DType dtype = DType.Int64) =>
        From(TensorNative.kst_tensor_arange(n, (int)dtype, out var p), p);

    /// <summary>Uniform integers in [low, high).</summary>
    public static unsafe Tensor RandInt(long low, long high, ReadOnlySpan<long> shape)
    {
        fixed (long* s = shape) return From(TensorNative.kst_tensor_randint(low, high, s, shape.Length, out var p), p);
    }

    /// <summary>A random permutation of 0..n-1.</summary>
    public static Tensor RandPerm(long n) => From(TensorNative.kst_tensor_randperm(n, out var p), p);

    /// <summary>
    /// A tensor holding a copy of <paramref name="data"/> with the given shape (one copy: the tensor
    /// owns its storage, so later changes to the span do not reach it).
    /// </summary>
    public static unsafe Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device? device = null) where T : unmanaged
    {
        var d = device ?? Device.Cpu;
        fixed (T* src = data)
        fixed (long* s = shape)
            return From(TensorNative.kst_tensor_from_data(src, (long)data.Length * sizeof(T), s, shape.Length,
                (int)DTypes.Of<T>(), (int)d.Type, d.Index, out var p), p);
    }

    /// <summary>A 1-D tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray<T>(T[] data) where T : unmanaged => FromSpan<T>(data, [data.LongLength]);

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromArray<T>(T[] data, params long[] shape) where T : unmanaged => FromSpan<T>(data, shape);
}

public sealed partial class Tensor
{
    /// <summary>A tensor of <paramref name="dtype"/> whose raw little-endian bytes are copied from <paramref name="bytes"/>.</summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> bytes, ReadOnlySpan<long> shape, DType dtype)
    {
        fixed (byte* src = bytes)
        fixed (long* s = shape)
            return From(TensorNative.kst_tensor_from_data(src, bytes.Length, s, shape.Length, (int)dtype, 0, 0, out var p), p);
    }

    /// <summary>Copies the raw bytes of all elements (row-major) into <paramref name="destination"/>.</summary>
    public unsafe void CopyBytesTo(Span<byte> destination)
    {
        fixed (byte* p = destination) Status.Check(TensorNative.kst_tensor_copy_to(Ptr, p, destination.Length));
    }
}
