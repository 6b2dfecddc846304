using System.Runtime.InteropServices;
using KShotNas.Torch.Native;

namespace KShotNas.Torch;

/// <summary>
/// A libtorch tensor owned by a <see cref="SafeHandle"/>. Dispose it, or create it inside a
/// <see cref="TensorScope"/> that frees it. Disposing a handle never breaks autograd: the graph keeps
/// its own references to the tensors it needs.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private static long s_liveManaged;
    private readonly TensorHandle _handle;

    internal Tensor(IntPtr ptr)
    {
        _handle = new TensorHandle(ptr);
        Interlocked.Increment(ref s_liveManaged);
        TensorScope.Current?.Adopt(this);
    }

    /// <summary>Tensor objects not yet disposed or finalized (all threads).</summary>
    public static long LiveManagedCount => Interlocked.Read(ref s_liveManaged);

    internal TensorScope? Scope { get; set; }

    /// <summary>True once the tensor has been disposed.</summary>
    public bool IsDisposed => _handle.IsClosed;

    internal IntPtr Ptr
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed (or freed by its scope).");
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Frees the native handle now.</summary>
    public void Dispose()
    {
        if (_handle.IsClosed) return;
        _handle.Dispose();
        Interlocked.Decrement(ref s_liveManaged);
    }

    /// <summary>Hands the tensor to the enclosing scope (or to nobody, at the outermost scope).</summary>
    public Tensor MoveToOuterScope()
    {
        var outer = Scope?.Outer;
        Scope = null;
        outer?.Adopt(this);
        return this;
    }

    /// <summary>Takes the tensor out of every scope: the caller owns it and must dispose it.</summary>
    public Tensor DetachFromScope()
    {
        Scope = null;
        return this;
    }

    internal static Tensor From(int status, IntPtr result)
    {
        Status.Check(status);
        return new Tensor(result);
    }

    /// <summary>Number of dimensions.</summary>
    public int Dim
    {
        get { Status.Check(TensorNative.kst_tensor_ndim(Ptr, out var n)); return n; }
    }

    /// <summary>The sizes of every dimension.</summary>
    public unsafe long[] Shape
    {
        get
        {
            var shape = new long[Dim];
            fixed (long* p = shape) Status.Check(TensorNative.kst_tensor_shape(Ptr, p, shape.Length));
            return shape;
        }
    }

    /// <summary>Size of one dimension (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var s = Shape;
        return s[dim < 0 ? s.Length + dim : dim];
    }

    /// <summary>Number of elements.</summary>
    public long NumEl
    {
        get { Status.Check(TensorNative.kst_tensor_numel(Ptr, out var n)); return n; }
    }

    /// <summary>Element type.</summary>
    public DType DType
    {
        get
        {
            Status.Check(TensorNative.kst_tensor_dtype(Ptr, out var d));
            return d >= 0 ? (DType)d : throw new NotSupportedException("The tensor's dtype has no KShotNas equivalent.");
        }
    }

    /// <summary>Device the tensor lives on.</summary>
    public Device Device
    {
        get { Status.Check(TensorNative.kst_tensor_device(Ptr, out var t, out var i)); return new Device((DeviceType)t, i); }
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double ToDouble()
    {
        Status.Check(TensorNative.kst_tensor_item(Ptr, out var v));
        return v;
    }

    /// <summary>The value of a one-element tensor as a float.</summary>
    public float ToSingle() => (float)ToDouble();

    /// <summary>The value of a one-element tensor as a long.</summary>
    public long ToInt64() => (long)ToDouble();

    /// <summary>Copies all elements (row-major) into <paramref name="destination"/>, whose length must equal <see cref="NumEl"/>.</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        CheckElementType<T>();
        fixed (T* p = destination)
            Status.Check(TensorNative.kst_tensor_copy_to(Ptr, p, (long)destination.Length * sizeof(T)));
    }

    /// <summary>All elements (row-major) in a new array.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[NumEl];
        CopyTo<T>(result);
        return result;
    }

    private void CheckElementType<T>() where T : unmanaged
    {
        var want = DTypes.Of<T>();
        var have = DType;
        if (want != have) throw new ArgumentException($"The tensor holds {have}, not {want} ({typeof(T).Name}).");
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor([{string.Join(", ", Shape)}], {DType}, {Device})";
}
