using System.Runtime.InteropServices;

namespace KShotNas.Onnx.Runtime;

/// <summary>An error reported by ONNX Runtime (its message), or its library missing.</summary>
public sealed class OnnxRuntimeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxRuntimeException(string message) : base(message) { }
}

/// <summary>
/// ONNX Runtime's C API: <c>OrtGetApiBase()->GetApi(version)</c> returns a table of function pointers whose order
/// only ever grows at the end, so the members used here sit at fixed indices (those of onnxruntime_c_api.h).
/// The library is libonnxruntime.so.1 from onnxruntime-node@1.30.0 (scripts/install-onnxruntime.sh).
/// </summary>
internal static unsafe class OrtApi
{
    private const uint ApiVersion = 16; // any version up to the library's own works; 16 covers every member used
    private static readonly Lazy<IntPtr> s_table = new(Load);

    // Indices into struct OrtApi.
    private const int GetErrorMessageIndex = 2, CreateEnvIndex = 3, CreateSessionFromArrayIndex = 8, RunIndex = 9, CreateSessionOptionsIndex = 10,
        SetIntraOpNumThreadsIndex = 24, SetInterOpNumThreadsIndex = 25, CreateTensorWithDataAsOrtValueIndex = 49, CreateCpuMemoryInfoIndex = 69,
        ReleaseEnvIndex = 92, ReleaseStatusIndex = 93, ReleaseMemoryInfoIndex = 94, ReleaseSessionIndex = 95, ReleaseValueIndex = 96,
        ReleaseSessionOptionsIndex = 100;

    /// <summary>The library's version string.</summary>
    internal static string Version { get; private set; } = "";

    private static IntPtr Fn(int index) => ((IntPtr*)s_table.Value)[index];

    private static IntPtr Load()
    {
        var candidates = new[]
        {
            Environment.GetEnvironmentVariable("KSHOTNAS_ONNXRUNTIME"),
            Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1"),
        };
        foreach (var path in candidates)
        {
            if (string.IsNullOrEmpty(path) || !File.Exists(path)) continue;
            var lib = NativeLibrary.Load(path);
            var getApiBase = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(lib, "OrtGetApiBase");
            var apiBase = (IntPtr*)getApiBase();
            Version = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)apiBase[1])()) ?? "?";
            var table = ((delegate* unmanaged<uint, IntPtr>)apiBase[0])(ApiVersion);
            if (table == IntPtr.Zero) throw new OnnxRuntimeException($"ONNX Runtime {Version} at {path} does not offer C API version {ApiVersion}.");
            return table;
        }
        throw new OnnxRuntimeException("libonnxruntime.so.1 was not found next to the application or at $KSHOTNAS_ONNXRUNTIME; "
                                       + "run ./scripts/setup.sh (it installs ONNX Runtime 1.30 from the onnxruntime-node npm package).");
    }

    /// <summary>Throws the message of a non-null OrtStatus (and releases it).</summary>
    internal static void Check(IntPtr status)
    {
        if (status == IntPtr.Zero) return;
        var message = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr, IntPtr>)Fn(GetErrorMessageIndex))(status)) ?? "unknown error";
        ((delegate* unmanaged<IntPtr, void>)Fn(ReleaseStatusIndex))(status);
        throw new OnnxRuntimeException(message);
    }

    internal static IntPtr CreateEnv(int logLevel, string id)
    {
        var name = Marshal.StringToCoTaskMemUTF8(id);
        try
        {
            IntPtr env;
            Check(((delegate* unmanaged<int, IntPtr, IntPtr*, IntPtr>)Fn(CreateEnvIndex))(logLevel, name, &env));
            return env;
        }
        finally
        {
            Marshal.FreeCoTaskMem(name);
        }
    }

    internal static IntPtr CreateSessionOptions(int intraThreads, int interThreads)
    {
        IntPtr options;
        Check(((delegate* unmanaged<IntPtr*, IntPtr>)Fn(CreateSessionOptionsIndex))(&options));
        Check(((delegate* unmanaged<IntPtr, int, IntPtr>)Fn(SetIntraOpNumThreadsIndex))(options, intraThreads));
        Check(((delegate* unmanaged<IntPtr, int, IntPtr>)Fn(SetInterOpNumThreadsIndex))(options, interThreads));
        return options;
    }

    internal static IntPtr CreateSession(IntPtr env, byte[] model, IntPtr options)
    {
        IntPtr session;
        fixed (byte* m = model)
            Check(((delegate* unmanaged<IntPtr, void*, nuint, IntPtr, IntPtr*, IntPtr>)Fn(CreateSessionFromArrayIndex))(env, m, (nuint)model.Length, options, &session));
        return session;
    }

    internal static IntPtr CreateCpuMemoryInfo()
    {
        IntPtr info;
        // OrtArenaAllocator = 1, OrtMemTypeDefault = 0
        Check(((delegate* unmanaged<int, int, IntPtr*, IntPtr>)Fn(CreateCpuMemoryInfoIndex))(1, 0, &info));
        return info;
    }

    /// <summary>An OrtValue over caller memory (float32); the memory must stay pinned while the value is used.</summary>
    internal static IntPtr CreateFloatTensor(IntPtr memoryInfo, float* data, long count, long[] shape)
    {
        IntPtr value;
        fixed (long* s = shape)
            Check(((delegate* unmanaged<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr>)Fn(CreateTensorWithDataAsOrtValueIndex))(
                memoryInfo, data, (nuint)(count * sizeof(float)), s, (nuint)shape.Length, 1 /* FLOAT */, &value));
        return value;
    }

    internal static void Run(IntPtr session, string inputName, IntPtr input, string outputName, IntPtr output)
    {
        var inName = Marshal.StringToCoTaskMemUTF8(inputName);
        var outName = Marshal.StringToCoTaskMemUTF8(outputName);
        try
        {
            var outputs = stackalloc IntPtr[1];
            outputs[0] = output; // pre-allocated: ONNX Runtime writes the logits into our buffer
            Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr*, nuint, IntPtr*, nuint, IntPtr*, IntPtr>)Fn(RunIndex))(
                session, IntPtr.Zero, &inName, &input, 1, &outName, 1, outputs));
        }
        finally
        {
            Marshal.FreeCoTaskMem(inName);
            Marshal.FreeCoTaskMem(outName);
        }
    }

    internal static void Release(ReleaseKind kind, IntPtr handle)
    {
        var index = kind switch
        {
            ReleaseKind.Env => ReleaseEnvIndex,
            ReleaseKind.MemoryInfo => ReleaseMemoryInfoIndex,
            ReleaseKind.Session => ReleaseSessionIndex,
            ReleaseKind.Value => ReleaseValueIndex,
            _ => ReleaseSessionOptionsIndex,
        };
        ((delegate* unmanaged<IntPtr, void>)Fn(index))(handle);
    }
}

internal enum ReleaseKind { Env, MemoryInfo, Session, Value, SessionOptions }

/// <summary>Owns one ONNX Runtime object and releases it with the matching Release function.</summary>
internal sealed class OrtHandle : SafeHandle
{
    private readonly ReleaseKind _kind;

    internal OrtHandle(IntPtr handle, ReleaseKind kind) : base(IntPtr.Zero, true)
    {
        _kind = kind;
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        OrtApi.Release(_kind, handle);
        return true;
    }
}
