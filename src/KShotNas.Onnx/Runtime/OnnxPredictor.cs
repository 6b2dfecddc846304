using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace KShotNas.Onnx.Runtime;

/// <summary>
/// Runs an exported KShotNas model (input "input" [batch, C, H, W], output "logits" [batch, classes]) with ONNX
/// Runtime's CPU provider, through its official managed API (Microsoft.ML.OnnxRuntime). A file that is not an ONNX
/// model, or not one of ours, gives <see cref="InvalidDataException"/>; ONNX Runtime's own refusals give
/// <see cref="OnnxRuntimeException"/> (both before any prediction).
/// </summary>
public sealed class OnnxPredictor : IDisposable
{
    private readonly InferenceSession _session;

    /// <summary>Loads a model file with the given intra-op thread count.</summary>
    public OnnxPredictor(string path, int threads = 1) : this(ReadModel(path), threads) { }

    /// <summary>Loads a serialized model with the given intra-op thread count.</summary>
    public OnnxPredictor(byte[] model, int threads = 1)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "ONNX Runtime needs at least one thread.");
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(model); }
        catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new InvalidDataException("Not an ONNX model: " + e.Message, e); }
        var input = proto.Graph?.Input.FirstOrDefault(i => i.Name == "input") ?? throw new InvalidDataException("The model has no input named 'input'.");
        var output = proto.Graph.Output.FirstOrDefault(o => o.Name == "logits") ?? throw new InvalidDataException("The model has no output named 'logits'.");
        var inDims = input.Type?.TensorType?.Shape?.Dim;
        var outDims = output.Type?.TensorType?.Shape?.Dim;
        if (inDims is not { Count: 4 } || inDims.Skip(1).Any(d => d.DimValue <= 0))
            throw new InvalidDataException("The model's input 'input' is not [batch, C, H, W] with known C, H and W.");
        if (outDims is not { Count: 2 } || outDims[1].DimValue <= 0)
            throw new InvalidDataException("The model's output 'logits' is not [batch, classes] with a known class count.");
        InputShape = inDims.Skip(1).Select(d => d.DimValue).ToArray();
        Classes = (int)outDims[1].DimValue;
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(model, options);
    }

    /// <summary>ONNX Runtime's version string.</summary>
    public static string RuntimeVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>Shape of one input image [C, H, W].</summary>
    public long[] InputShape { get; }

    /// <summary>Number of output classes.</summary>
    public int Classes { get; }

    private static byte[] ReadModel(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"ONNX model not found: {path}", path);

    /// <summary>Logits [batch, classes] (row-major) for images [batch, C, H, W] given as a flat array.</summary>
    public float[] Predict(ReadOnlySpan<float> images, int batch)
    {
        var perImage = InputShape.Aggregate(1L, (a, b) => a * b);
        if (batch < 1 || images.Length != batch * perImage)
            throw new ArgumentException($"Expected {batch} images of [{string.Join(", ", InputShape)}] = {batch * perImage} floats, got {images.Length}.");
        var logits = new float[batch * Classes];
        // ONNX Runtime reads the input from managed memory without copying it again.
        var input = images.ToArray();
        using var inValue = OrtValue.CreateTensorValueFromMemory(input, [batch, .. InputShape]);
        using var outValue = OrtValue.CreateTensorValueFromMemory(logits, [batch, Classes]);
        using var runOptions = new RunOptions();
        _session.Run(runOptions, ["input"], [inValue], ["logits"], [outValue]);
        return logits;
    }

    /// <summary>Releases the session.</summary>
    public void Dispose() => _session.Dispose();
}
