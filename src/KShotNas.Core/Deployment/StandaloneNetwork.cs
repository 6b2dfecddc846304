using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Deployment;

/// <summary>
/// The stand-alone network of an architecture: its own weights (PyTorch-default init), affine batch norms with
/// running statistics, run by interpreting its <see cref="NetworkGraph"/>. This is what retraining trains and
/// what ONNX export writes.
/// </summary>
public sealed class StandaloneNetwork : Module
{
    private readonly Dictionary<int, Module> _layers = new();

    /// <summary>Builds the network of <paramref name="architecture"/> in <paramref name="space"/>.</summary>
    public StandaloneNetwork(SearchSpace space, Architecture architecture)
    {
        Space = space;
        Architecture = architecture;
        Graph = NetworkGraphs.For(space, architecture);
        foreach (var n in Graph.Nodes)
        {
            Module? layer = n.Op switch
            {
                GraphOp.Conv => new Conv2d(n.Channels, n.OutChannels, n.Kernel, n.Stride, n.Padding, n.Groups, bias: false),
                GraphOp.BatchNorm => new BatchNorm2d(n.Channels),
                GraphOp.Linear => new Linear(n.Channels, n.OutChannels),
                _ => null,
            };
            if (layer is not null) _layers[n.Id] = RegisterModule(n.Name, layer);
        }
    }

    /// <summary>The space.</summary>
    public SearchSpace Space { get; }
    /// <summary>The architecture.</summary>
    public Architecture Architecture { get; }
    /// <summary>The layer graph.</summary>
    public NetworkGraph Graph { get; }

    /// <summary>The module of a Conv, BatchNorm or Linear node.</summary>
    public Module Layer(int node) => _layers[node];

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        using var scope = TensorScope.Begin();
        var values = new Tensor[Graph.Nodes.Count];
        foreach (var n in Graph.Nodes)
        {
            Tensor In(int i) => values[n.Inputs[i]];
            values[n.Id] = n.Op switch
            {
                GraphOp.Input => input,
                GraphOp.Conv or GraphOp.BatchNorm or GraphOp.Linear => _layers[n.Id].Forward(In(0)),
                GraphOp.Relu => In(0).Relu(),
                GraphOp.Relu6 => In(0).Relu6(),
                GraphOp.AvgPool => Functional.AvgPool2d(In(0), n.Kernel, n.Stride, n.Padding, n.CountIncludePad),
                GraphOp.GlobalAvgPool => Functional.AdaptiveAvgPool2d(In(0)),
                GraphOp.Flatten => In(0).Flatten(1),
                GraphOp.Add => In(0) + In(1),
                GraphOp.ZerosLike => Tensor.Zeros(In(0).Shape),
                GraphOp.SliceChannels => In(0).Narrow(1, n.Start, n.Channels),
                GraphOp.Concat => Tensor.Cat([In(0), In(1)], 1),
                _ => throw new NotSupportedException(n.Op.ToString()),
            };
        }
        return values[^1].MoveToOuterScope();
    }
}
