using Onnx;

namespace KShotNas.Onnx;

/// <summary>
/// Checks from the ONNX graph itself (not through a runtime) that a model takes the images a command feeds it and
/// gives the class scores it reads, so a wrong model fails with a clear message instead of predicting garbage.
/// </summary>
public static class OnnxModelCheck
{
    /// <summary>
    /// Throws <see cref="InvalidDataException"/> unless <paramref name="path"/> is an ONNX model with one float input of shape
    /// [N, <paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>] and one float output of shape
    /// [N, <paramref name="classes"/>] (N may be symbolic).
    /// </summary>
    public static void RequireClassifier(string path, int channels, int height, int width, int classes)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model not found: {path}", path);
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)); }
        catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new InvalidDataException($"{path} is not an ONNX model: {e.Message}"); }
        var graph = model.Graph ?? throw new InvalidDataException($"{path} is not an ONNX model: it has no graph.");
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet();
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputs.Count != 1 || graph.Output.Count != 1)
            throw new InvalidDataException($"{path} has {inputs.Count} inputs and {graph.Output.Count} outputs; an image classifier has one of each.");
        Require(path, "input", inputs[0], [channels, height, width]);
        Require(path, "output", graph.Output[0], [classes]);
    }

    private static void Require(string path, string what, ValueInfoProto value, long[] expected)
    {
        var tensor = value.Type?.TensorType;
        if (tensor is null || tensor.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"{path}: the {what} '{value.Name}' is not a float tensor.");
        var dims = tensor.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString() : d.DimParam is { Length: > 0 } p ? p : "?").ToList() ?? [];
        var want = "[N, " + string.Join(", ", expected) + "]";
        var ok = dims.Count == expected.Length + 1
                 && expected.Select((e, i) => dims[i + 1] == e.ToString()).All(b => b);
        if (!ok)
            throw new InvalidDataException($"{path}: the {what} '{value.Name}' has shape [{string.Join(", ", dims)}]; this command needs {want} "
                                           + "(Fashion-MNIST: 1x28x28 images, 10 classes).");
    }
}
