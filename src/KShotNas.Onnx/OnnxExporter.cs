using Google.Protobuf;
using KShotNas.Deployment;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Serialization;
using Onnx;

namespace KShotNas.Onnx;

/// <summary>
/// Writes a <see cref="StandaloneNetwork"/> as an ONNX model: opset 13, IR version 8, input "input"
/// [batch, C, H, W] float32, output "logits" [batch, classes]. Batch norm is exported as BatchNormalization with
/// its running statistics (not folded), so the file mirrors the trained network one to one; ReLU6 is Clip(0, 6);
/// a node with only 'none' inputs is ConstantOfShape(Shape(x)) zeros. An <see cref="OnnxHead"/> adds what a deployed
/// model needs around the network: a flat input, the input normalization, class probabilities and the argmax.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The opset version written.</summary>
    public const int Opset = 13;

    /// <summary>Builds the model of <paramref name="network"/> (evaluation semantics: running statistics).</summary>
    public static byte[] Export(StandaloneNetwork network, OnnxHead? head = null, string producer = "KShotNas")
    {
        var g = network.Graph;
        head ??= new OnnxHead();
        head.Validate(g.InputChannels);
        var graph = new GraphProto { Name = "kshotnas_" + network.Space.Name.Replace('-', '_') };
        var image = AddInput(graph, head, g.InputChannels, g.InputSize);
        graph.Output.Add(ValueInfo("logits", "batch", g.Classes));
        var names = new string[g.Nodes.Count];
        using var scope = TensorScope.Begin();
        foreach (var n in g.Nodes)
        {
            var output = n.Id == g.Nodes.Count - 1 ? "logits" : n.Name;
            string In(int i) => names[n.Inputs[i]];
            switch (n.Op)
            {
                case GraphOp.Input:
                    output = image;
                    break;
                case GraphOp.Conv:
                    var conv = (Conv2d)network.Layer(n.Id);
                    graph.Node.Add(Node("Conv", n.Name, [In(0), Init(graph, n.Name + ".weight", conv.Weight)], output,
                        Ints("kernel_shape", n.Kernel, n.Kernel), Ints("strides", n.Stride, n.Stride),
                        Ints("pads", n.Padding, n.Padding, n.Padding, n.Padding), Int("group", n.Groups)));
                    break;
                case GraphOp.BatchNorm:
                    var bn = (BatchNorm2d)network.Layer(n.Id);
                    graph.Node.Add(Node("BatchNormalization", n.Name,
                        [In(0), Init(graph, n.Name + ".weight", bn.Weight!), Init(graph, n.Name + ".bias", bn.Bias!),
                         Init(graph, n.Name + ".running_mean", bn.RunningMean!), Init(graph, n.Name + ".running_var", bn.RunningVar!)],
                        output, Float("epsilon", (float)bn.Eps)));
                    break;
                case GraphOp.Linear:
                    var fc = (Linear)network.Layer(n.Id);
                    graph.Node.Add(Node("Gemm", n.Name, [In(0), Init(graph, n.Name + ".weight", fc.Weight), Init(graph, n.Name + ".bias", fc.Bias!)],
                        output, Int("transB", 1)));
                    break;
                case GraphOp.Relu:
                    graph.Node.Add(Node("Relu", n.Name, [In(0)], output));
                    break;
                case GraphOp.Relu6:
                    graph.Node.Add(Node("Clip", n.Name, [In(0), Scalar(graph, "clip_min", 0f), Scalar(graph, "clip_max", 6f)], output));
                    break;
                case GraphOp.AvgPool:
                    graph.Node.Add(Node("AveragePool", n.Name, [In(0)], output, Ints("kernel_shape", n.Kernel, n.Kernel),
                        Ints("strides", n.Stride, n.Stride), Ints("pads", n.Padding, n.Padding, n.Padding, n.Padding),
                        Int("count_include_pad", n.CountIncludePad ? 1 : 0)));
                    break;
                case GraphOp.GlobalAvgPool:
                    graph.Node.Add(Node("GlobalAveragePool", n.Name, [In(0)], output));
                    break;
                case GraphOp.Flatten:
                    graph.Node.Add(Node("Flatten", n.Name, [In(0)], output, Int("axis", 1)));
                    break;
                case GraphOp.Add:
                    graph.Node.Add(Node("Add", n.Name, [In(0), In(1)], output));
                    break;
                case GraphOp.Concat:
                    graph.Node.Add(Node("Concat", n.Name, [In(0), In(1)], output, Int("axis", 1)));
                    break;
                case GraphOp.SliceChannels:
                    graph.Node.Add(Node("Slice", n.Name, [In(0), Longs(graph, n.Name + ".starts", n.Start), Longs(graph, n.Name + ".ends", n.Start + n.Channels),
                        Longs(graph, n.Name + ".axes", 1)], output));
                    break;
                case GraphOp.ZerosLike:
                    graph.Node.Add(Node("Shape", n.Name + "_shape", [In(0)], n.Name + "_shape"));
                    var zero = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Name = "zero" };
                    zero.Dims.Add(1);
                    zero.FloatData.Add(0f);
                    graph.Node.Add(Node("ConstantOfShape", n.Name, [n.Name + "_shape"], output,
                        new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = zero }));
                    break;
                default:
                    throw new NotSupportedException($"No ONNX mapping for {n.Op}.");
            }
            names[n.Id] = output;
        }
        AddOutputs(graph, head, g.Classes);
        var model = new ModelProto
        {
            IrVersion = 8, ProducerName = producer, ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph, DocString = $"{network.Space.Name} architecture {network.Space.Format(network.Architecture)}",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "kshotnas.space", Value = KShotNas.Spaces.SpaceCatalog.Describe(network.Space) });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "kshotnas.architecture", Value = network.Space.Format(network.Architecture) });
        return model.ToByteArray();
    }

    /// <summary>Writes the model to <paramref name="path"/> (temporary file, then rename).</summary>
    public static void Save(StandaloneNetwork network, string path, OnnxHead? head = null) =>
        AtomicFile.Write(path, s => s.Write(Export(network, head)));

    /// <summary>Declares the graph input and adds reshape/normalization nodes; returns the name of the [batch, C, H, W] image.</summary>
    private static string AddInput(GraphProto graph, OnnxHead head, int channels, int size)
    {
        if (!head.FlatInput)
        {
            graph.Input.Add(ValueInfo(head.InputName, "batch", channels, size, size));
            return Normalize(graph, head, head.InputName, channels);
        }
        graph.Input.Add(ValueInfo(head.InputName, "batch", channels * size * size));
        graph.Node.Add(Node("Reshape", "unflatten", [head.InputName, Longs(graph, "image_shape", -1, channels, size, size)], "image"));
        return Normalize(graph, head, "image", channels);
    }

    private static string Normalize(GraphProto graph, OnnxHead head, string x, int channels)
    {
        if (head.Mean is null || head.Std is null) return x;
        graph.Node.Add(Node("Sub", "center", [x, Floats(graph, "channel_mean", [1, channels, 1, 1], head.Mean)], "centered"));
        graph.Node.Add(Node("Div", "scale", ["centered", Floats(graph, "channel_std", [1, channels, 1, 1], head.Std)], "normalized"));
        return "normalized";
    }

    private static void AddOutputs(GraphProto graph, OnnxHead head, int classes)
    {
        if (head.ProbabilitiesName is { } probabilities)
        {
            graph.Node.Add(Node("Softmax", "probabilities", ["logits"], probabilities, Int("axis", 1)));
            graph.Output.Add(ValueInfo(probabilities, "batch", classes));
        }
        if (head.PredictedIndexName is { } index)
        {
            // keepdims=0: one class index per image, [batch].
            graph.Node.Add(Node("ArgMax", "predicted_index", ["logits"], index, Int("axis", 1), Int("keepdims", 0)));
            graph.Output.Add(ValueInfo(index, "batch", TensorProto.Types.DataType.Int64));
        }
    }

    private static ValueInfoProto ValueInfo(string name, string batch, params int[] dims) =>
        ValueInfo(name, batch, TensorProto.Types.DataType.Float, dims);

    private static ValueInfoProto ValueInfo(string name, string batch, TensorProto.Types.DataType type, params int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    private static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    private static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    /// <summary>Adds a float32 initializer holding <paramref name="t"/>'s values (raw little-endian data).</summary>
    private static string Init(GraphProto graph, string name, Tensor t)
    {
        var c = t.Detach().To(DType.Float32).Contiguous();
        var bytes = new byte[c.NumEl * 4];
        c.CopyBytesTo(bytes);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        proto.Dims.AddRange(c.Shape);
        graph.Initializer.Add(proto);
        return name;
    }

    private static string Scalar(GraphProto graph, string name, float v)
    {
        if (graph.Initializer.All(i => i.Name != name))
        {
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            proto.FloatData.Add(v);
            graph.Initializer.Add(proto);
        }
        return name;
    }

    private static string Floats(GraphProto graph, string name, long[] dims, float[] v)
    {
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(dims);
        proto.FloatData.AddRange(v);
        graph.Initializer.Add(proto);
        return name;
    }

    private static string Longs(GraphProto graph, string name, params long[] v)
    {
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.Add(v.Length);
        proto.Int64Data.AddRange(v);
        graph.Initializer.Add(proto);
        return name;
    }
}
