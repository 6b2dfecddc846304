using KShotNas.Torch.Native;

namespace KShotNas.Torch;

/// <summary>An error raised inside libtorch or the native shim, with libtorch's own message.</summary>
public class TorchException : Exception
{
    /// <summary>Creates the exception from a native status and message.</summary>
    public TorchException(NativeStatus status, string message) : base(message) => Status = status;

    /// <summary>The status the native call returned.</summary>
    public NativeStatus Status { get; }
}

/// <summary>The native shim is missing, cannot be loaded, or is of another ABI version.</summary>
public sealed class NativeLibraryException : Exception
{
    /// <summary>Creates the exception with a message that says what to run.</summary>
    public NativeLibraryException(string message) : base(message) { }
}
