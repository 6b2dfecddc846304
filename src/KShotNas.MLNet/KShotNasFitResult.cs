using KShotNas.Api;
using KShotNas.Search;

namespace KShotNas.MLNet;

/// <summary>What a <see cref="KShotNasTrainer"/> fit found and how (the fitted chain holds only the ONNX model).</summary>
/// <param name="Space">The search space descriptor.</param>
/// <param name="Architecture">The found architecture in its space's text form.</param>
/// <param name="Parameters">Its parameter count.</param>
/// <param name="Flops">Its multiply-accumulates for one image.</param>
/// <param name="Search">Every candidate scored, the best one and the Pareto front; null when <see cref="NasRecipe.Architecture"/> skipped the search.</param>
/// <param name="Record">Training curves, K-shot codes and stage durations.</param>
/// <param name="OnnxModel">The exported model (flat raw-pixel input, Score and class-index outputs).</param>
/// <param name="ChannelMean">Per-channel mean baked into the model.</param>
/// <param name="ChannelStd">Per-channel standard deviation baked into the model.</param>
/// <param name="ClassNames">The label's key values in key order.</param>
/// <param name="TrainingRows">Rows the supernet and the retraining trained on.</param>
/// <param name="ValidationRows">Rows candidates were scored on.</param>
/// <param name="Streamed">Whether the training rows were streamed instead of held in memory.</param>
/// <param name="ValidationAccuracy">The retrained network's accuracy on the validation rows; NaN after a refit (<see cref="NasRecipe.Refit"/>), which trains on them.</param>
/// <param name="Duration">Wall time of the fit.</param>
/// <param name="Recipe">The recipe as the trainer ran it (its space resolved for the data).</param>
public sealed record KShotNasFitResult(string Space, string Architecture, long Parameters, long Flops, SearchResult? Search, PipelineRecord Record,
    byte[] OnnxModel, float[] ChannelMean, float[] ChannelStd, string[] ClassNames, int TrainingRows, int ValidationRows, bool Streamed,
    double ValidationAccuracy, TimeSpan Duration, NasRecipe Recipe)
{
    /// <summary>Writes the ONNX model to <paramref name="path"/> (temporary file, then rename).</summary>
    public void SaveOnnx(string path) => KShotNas.Torch.Serialization.AtomicFile.Write(path, s => s.Write(OnnxModel));
}
