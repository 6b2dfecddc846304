using System.Globalization;
using KShotNas.Data;
using KShotNas.Deployment;
using KShotNas.Onnx;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Serialization;

namespace KShotNas.Api;

/// <summary>
/// A trained, retrained architecture: its stand-alone network, the search that found it, and prediction,
/// saving, loading and ONNX export. Owns the network.
/// </summary>
public sealed class KShotNasModel : IDisposable
{
    private const string Format = "kshotnas-model-v1";

    /// <summary>Wraps a network (taking ownership) and the search report that chose it (null after Load).</summary>
    public KShotNasModel(StandaloneNetwork network, SearchResult? searchReport = null)
    {
        Network = network;
        SearchReport = searchReport;
        network.Eval();
    }

    /// <summary>The network.</summary>
    public StandaloneNetwork Network { get; }
    /// <summary>The space.</summary>
    public SearchSpace Space => Network.Space;
    /// <summary>The architecture.</summary>
    public Architecture Architecture => Network.Architecture;
    /// <summary>The architecture in its space's text form.</summary>
    public string ArchitectureText => Space.Format(Architecture);
    /// <summary>Every candidate of the search, the best and the Pareto front (null for a loaded model).</summary>
    public SearchResult? SearchReport { get; }

    /// <summary>Class indices for images [N, C, H, W] (evaluation mode, no autograd).</summary>
    public long[] Predict(Tensor images)
    {
        using var noGrad = NoGradScope.Begin();
        using var scope = TensorScope.Begin();
        return Network.Forward(images).ArgMax(1).ToArray<long>();
    }

    /// <summary>Top-1 accuracy on a dataset.</summary>
    public double Evaluate(ImageDataset data) => Training.ClassifierTrainer.Evaluate(Network, data);

    /// <summary>Writes weights, running statistics, space and architecture (safetensors; temporary file, then rename).</summary>
    public void Save(string path) => SafeTensors.Save(path, Network.StateDict(), new Dictionary<string, string>
    {
        ["format"] = Format,
        ["space_config"] = SpaceCatalog.Describe(Space),
        ["architecture"] = ArchitectureText,
        ["parameters"] = Network.ParameterCount().ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>Reads a model; a truncated file or one of another kind gives a clear error naming the file.</summary>
    public static KShotNasModel Load(string path)
    {
        using var file = SafeTensors.Load(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException($"{path} is not a KShotNas model (format '{format ?? "none"}', expected '{Format}').");
        var space = SpaceCatalog.Create(file.Metadata["space_config"]);
        var network = new StandaloneNetwork(space, space.Parse(file.Metadata["architecture"]));
        try
        {
            network.LoadStateDict(file.Tensors);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new KShotNasModel(network);
    }

    /// <summary>Exports the network to ONNX (opset 13) at <paramref name="path"/>.</summary>
    public void ExportOnnx(string path) => OnnxExporter.Save(Network, path);

    /// <summary>Frees the network.</summary>
    public void Dispose() => Network.Dispose();
}
