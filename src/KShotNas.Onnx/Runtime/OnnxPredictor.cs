using Onnx;

namespace KShotNas.Onnx.Runtime;

/// <summary>
/// Runs an exported KShotNas model (input "input" [batch, C, H, W], output "logits" [batch, classes]) with ONNX
/// Runtime's CPU provider. Errors from ONNX Runtime become <see cref="OnnxRuntimeException"/>.
/// </summary>
public sealed class OnnxPredictor : IDisposable
{
    private static readonly Lazy<OrtHandle> s_env = new(() => new OrtHandle(OrtApi.CreateEnv(3 /* error */, "kshotnas"), ReleaseKind.Env));
    private readonly OrtHandle _session;
    private readonly OrtHandle _memory;

    /// <summary>Loads a model file with the given intra-op thread count.</summary>
    public OnnxPredictor(string path, int threads = 1) : this(ReadModel(path), threads) { }

    /// <summary>Loads a serialized model with the given intra-op thread count.</summary>
    public OnnxPredictor(byte[] model, int threads = 1)
    {
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(model); }
        catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new InvalidDataException("Not an ONNX model: " + e.Message, e); }
        var input = proto.Graph?.Input.FirstOrDefault(i => i.Name == "input") ?? throw new InvalidDataException("The model has no input named 'input'.");
        var output = proto.Graph.Output.FirstOrDefault(o => o.Name == "logits") ?? throw new InvalidDataException("The model has no output named 'logits'.");
        InputShape = input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue).ToArray();
        Classes = (int)output.Type.TensorType.Shape.Dim[1].DimValue;
        using var options = new OrtHandle(OrtApi.CreateSessionOptions(threads, 1), ReleaseKind.SessionOptions);
        _session = new OrtHandle(OrtApi.CreateSession(s_env.Value.DangerousGetHandle(), model, options.DangerousGetHandle()), ReleaseKind.Session);
        _memory = new OrtHandle(OrtApi.CreateCpuMemoryInfo(), ReleaseKind.MemoryInfo);
    }

    /// <summary>ONNX Runtime's version string.</summary>
    public static string RuntimeVersion
    {
        get
        {
            _ = s_env.Value;
            return OrtApi.Version;
        }
    }

    /// <summary>Shape of one input image [C, H, W].</summary>
    public long[] InputShape { get; }

    /// <summary>Number of output classes.</summary>
    public int Classes { get; }

    private static byte[] ReadModel(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"ONNX model not found: {path}", path);

    /// <summary>Logits [batch, classes] (row-major) for images [batch, C, H, W] given as a flat array.</summary>
    public unsafe float[] Predict(ReadOnlySpan<float> images, int batch)
    {
        var perImage = InputShape.Aggregate(1L, (a, b) => a * b);
        if (batch < 1 || images.Length != batch * perImage)
            throw new ArgumentException($"Expected {batch} images of [{string.Join(", ", InputShape)}] = {batch * perImage} floats, got {images.Length}.");
        var logits = new float[batch * Classes];
        var input = images.ToArray(); // ONNX Runtime needs a mutable, pinned buffer
        fixed (float* x = input)
        fixed (float* y = logits)
        {
            using var inValue = new OrtHandle(OrtApi.CreateFloatTensor(_memory.DangerousGetHandle(), x, input.Length, [batch, .. InputShape]), ReleaseKind.Value);
            using var outValue = new OrtHandle(OrtApi.CreateFloatTensor(_memory.DangerousGetHandle(), y, logits.Length, [batch, Classes]), ReleaseKind.Value);
            OrtApi.Run(_session.DangerousGetHandle(), "input", inValue.DangerousGetHandle(), "logits", outValue.DangerousGetHandle());
        }
        return logits;
    }

    /// <summary>Releases the session.</summary>
    public void Dispose()
    {
        _session.Dispose();
        _memory.Dispose();
    }
}
