namespace KShotNas.Deployment;

/// <summary>Operations of a stand-alone network graph (the subset the search spaces need; each maps to one ONNX op).</summary>
public enum GraphOp
{
    /// <summary>The network input.</summary>
    Input,
    /// <summary>2-D convolution without bias (attributes: out channels, kernel, stride, padding, groups).</summary>
    Conv,
    /// <summary>Affine batch norm with running statistics.</summary>
    BatchNorm,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>min(max(x, 0), 6).</summary>
    Relu6,
    /// <summary>Average pooling (kernel, stride, padding; count_include_pad as given).</summary>
    AvgPool,
    /// <summary>Global average pooling to 1x1.</summary>
    GlobalAvgPool,
    /// <summary>Flatten all but the batch dimension.</summary>
    Flatten,
    /// <summary>Fully connected layer with bias.</summary>
    Linear,
    /// <summary>Sum of two inputs.</summary>
    Add,
    /// <summary>Zeros shaped like the input (a node whose incoming edges are all 'none').</summary>
    ZerosLike,
    /// <summary>A channel range of the input (attributes: Start, Channels).</summary>
    SliceChannels,
    /// <summary>Concatenation along channels.</summary>
    Concat,
}

/// <summary>One node: an operation, its inputs (node ids) and attributes.</summary>
public sealed record GraphNode(int Id, string Name, GraphOp Op, int[] Inputs, int Channels = 0, int OutChannels = 0, int Kernel = 0,
    int Stride = 1, int Padding = 0, int Groups = 1, bool CountIncludePad = true, int Start = 0);

/// <summary>
/// A stand-alone network as a list of nodes in topological order; the last node is the output (logits).
/// Built by <see cref="NetworkGraphs"/> from a space's architecture, run by <see cref="StandaloneNetwork"/>,
/// exported to ONNX by the exporter.
/// </summary>
public sealed class NetworkGraph
{
    private readonly List<GraphNode> _nodes = new();
    private readonly List<int> _channels = new();

    /// <summary>Starts a graph whose input has <paramref name="inputChannels"/> channels of <paramref name="size"/>^2 pixels.</summary>
    public NetworkGraph(int inputChannels, int size, int classes)
    {
        (InputChannels, InputSize, Classes) = (inputChannels, size, classes);
        Add(new GraphNode(0, "input", GraphOp.Input, [], Channels: inputChannels), inputChannels);
    }

    /// <summary>Input channels.</summary>
    public int InputChannels { get; }
    /// <summary>Input height and width.</summary>
    public int InputSize { get; }
    /// <summary>Output classes.</summary>
    public int Classes { get; }
    /// <summary>The nodes, in topological order.</summary>
    public IReadOnlyList<GraphNode> Nodes => _nodes;
    /// <summary>The id of the input node.</summary>
    public int Input => 0;

    /// <summary>Channels produced by a node.</summary>
    public int ChannelsOf(int node) => _channels[node];

    private int Add(GraphNode node, int channels)
    {
        _nodes.Add(node with { Id = _nodes.Count });
        _channels.Add(channels);
        return _nodes.Count - 1;
    }

    private string Name(string name) => $"{name}_{_nodes.Count}";

    /// <summary>A bias-free convolution.</summary>
    public int Conv(int x, int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1, string name = "conv") =>
        Add(new GraphNode(0, Name(name), GraphOp.Conv, [x], ChannelsOf(x), outChannels, kernel, stride, padding, groups), outChannels);

    /// <summary>An affine batch norm with running statistics.</summary>
    public int BatchNorm(int x, string name = "bn") => Add(new GraphNode(0, Name(name), GraphOp.BatchNorm, [x], ChannelsOf(x)), ChannelsOf(x));

    /// <summary>ReLU.</summary>
    public int Relu(int x) => Add(new GraphNode(0, Name("relu"), GraphOp.Relu, [x]), ChannelsOf(x));

    /// <summary>ReLU6.</summary>
    public int Relu6(int x) => Add(new GraphNode(0, Name("relu6"), GraphOp.Relu6, [x]), ChannelsOf(x));

    /// <summary>Average pooling.</summary>
    public int AvgPool(int x, int kernel, int stride, int padding, bool countIncludePad) =>
        Add(new GraphNode(0, Name("avgpool"), GraphOp.AvgPool, [x], Kernel: kernel, Stride: stride, Padding: padding, CountIncludePad: countIncludePad),
            ChannelsOf(x));

    /// <summary>Global average pooling.</summary>
    public int GlobalAvgPool(int x) => Add(new GraphNode(0, Name("gap"), GraphOp.GlobalAvgPool, [x]), ChannelsOf(x));

    /// <summary>Flatten.</summary>
    public int Flatten(int x) => Add(new GraphNode(0, Name("flatten"), GraphOp.Flatten, [x]), ChannelsOf(x));

    /// <summary>Fully connected layer with bias.</summary>
    public int Linear(int x, int outFeatures, string name = "fc") =>
        Add(new GraphNode(0, Name(name), GraphOp.Linear, [x], ChannelsOf(x), outFeatures), outFeatures);

    /// <summary>a + b (equal shapes).</summary>
    public int Sum(int a, int b) => Add(new GraphNode(0, Name("add"), GraphOp.Add, [a, b]), ChannelsOf(a));

    /// <summary>Zeros shaped like x.</summary>
    public int ZerosLike(int x) => Add(new GraphNode(0, Name("zeros"), GraphOp.ZerosLike, [x]), ChannelsOf(x));

    /// <summary>Channels <paramref name="start"/> .. <paramref name="start"/> + <paramref name="channels"/> - 1 of x.</summary>
    public int SliceChannels(int x, int start, int channels) =>
        Add(new GraphNode(0, Name("slice"), GraphOp.SliceChannels, [x], Channels: channels, Start: start), channels);

    /// <summary>Channel concatenation.</summary>
    public int Concat(int a, int b) => Add(new GraphNode(0, Name("concat"), GraphOp.Concat, [a, b]), ChannelsOf(a) + ChannelsOf(b));
}
