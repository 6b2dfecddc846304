namespace KShotNas.Torch;

/// <summary>Element types a tensor can hold. The numeric values are the native shim's dtype codes.</summary>
public enum DType
{
    /// <summary>32-bit float.</summary>
    Float32 = 0,
    /// <summary>64-bit float.</summary>
    Float64 = 1,
    /// <summary>64-bit signed integer (labels, indices).</summary>
    Int64 = 2,
    /// <summary>Boolean (comparison results).</summary>
    Bool = 3,
    /// <summary>Unsigned byte (raw images, generator state).</summary>
    UInt8 = 4,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 5,
}

/// <summary>Maps .NET element types to <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>The dtype that stores elements of type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(bool) ? DType.Bool
        : typeof(T) == typeof(byte) ? DType.UInt8
        : typeof(T) == typeof(int) ? DType.Int32
        : throw new NotSupportedException($"No tensor dtype stores {typeof(T).Name}.");

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.Bool or DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
