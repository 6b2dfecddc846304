using System.Runtime.InteropServices;

namespace KShotNas.Torch.Native;

/// <summary>Status codes returned by every exported function of the native shim.</summary>
public enum NativeStatus
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>libtorch raised a <c>c10::Error</c>.</summary>
    TorchError = 1,
    /// <summary>A <c>std::exception</c> other than a libtorch error.</summary>
    StdError = 2,
    /// <summary>Something other than a <c>std::exception</c> was thrown.</summary>
    UnknownError = 3,
    /// <summary>The shim rejected an argument (null handle, bad code, size mismatch).</summary>
    InvalidArgument = 4,
}

internal static partial class Status
{
    [LibraryImport(NativeLibraryLoader.LibraryName)]
    private static partial IntPtr kst_last_error();

    /// <summary>Throws a <see cref="TorchException"/> carrying the native message when a call failed.</summary>
    internal static void Check(int status)
    {
        if (status != 0) Throw(status);
    }

    private static void Throw(int status)
    {
        // The message is thread-local on the native side and valid until the next failing call: copy it now.
        var message = Marshal.PtrToStringUTF8(kst_last_error()) ?? "(no message)";
        throw new TorchException((NativeStatus)status, message);
    }
}
