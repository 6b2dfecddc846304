namespace KShotNas.Torch;

/// <summary>Kinds of device. The values are the native shim's device codes.</summary>
public enum DeviceType
{
    /// <summary>The host CPU.</summary>
    Cpu = 0,
    /// <summary>An NVIDIA GPU; usable only with a CUDA build of libtorch (Debian's is CPU-only).</summary>
    Cuda = 1,
}

/// <summary>Where a tensor lives.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static Device Cpu { get; } = new(DeviceType.Cpu);

    /// <summary>The CUDA device with the given index.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <inheritdoc />
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
