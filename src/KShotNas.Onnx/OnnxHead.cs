namespace KShotNas.Onnx;

/// <summary>
/// What an exported model carries around the network for deployment. The defaults give the plain network: input
/// "input" [batch, C, H, W] already normalized, output "logits". A deployed model (the ML.NET trainer's) takes raw
/// pixels as one flat vector per image, normalizes them with the training data's per-channel statistics, and also
/// outputs class probabilities and the predicted class index, so no pre- or post-processing is left to the user.
/// </summary>
public sealed record OnnxHead
{
    /// <summary>Name of the graph input.</summary>
    public string InputName { get; init; } = "input";
    /// <summary>Input as [batch, C*H*W] (ML.NET's vector column) instead of [batch, C, H, W].</summary>
    public bool FlatInput { get; init; }
    /// <summary>Per-channel mean subtracted from the input (null: input is already normalized).</summary>
    public float[]? Mean { get; init; }
    /// <summary>Per-channel standard deviation the centred input is divided by (with <see cref="Mean"/>).</summary>
    public float[]? Std { get; init; }
    /// <summary>Name of a softmax output [batch, classes], or null for none.</summary>
    public string? ProbabilitiesName { get; init; }
    /// <summary>Name of an argmax output [batch] (int64 class index), or null for none.</summary>
    public string? PredictedIndexName { get; init; }

    /// <summary>Throws when the normalization does not fit the channels or names collide.</summary>
    public void Validate(int channels)
    {
        if ((Mean is null) != (Std is null))
            throw new ArgumentException("An ONNX head needs both a per-channel mean and standard deviation, or neither.");
        if (Mean is not null && (Mean.Length != channels || Std!.Length != channels))
            throw new ArgumentException($"The normalization has {Mean.Length} means and {Std!.Length} deviations; the network takes {channels} channels.");
        if (Std is not null && Std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new ArgumentException("Every channel's standard deviation must be positive and finite.");
        if (Mean is not null && Mean.Any(m => !float.IsFinite(m)))
            throw new ArgumentException("Every channel's mean must be finite.");
        if (Reserved.Contains(InputName) || Reserved.Contains(ProbabilitiesName ?? "") || Reserved.Contains(PredictedIndexName ?? ""))
            throw new ArgumentException($"ONNX input/output names must not be one of the graph's own: {string.Join(", ", Reserved)}.");
        var names = new[] { InputName, "logits", ProbabilitiesName, PredictedIndexName }.Where(n => n is not null).ToList();
        if (names.Distinct().Count() != names.Count || names.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"ONNX input/output names must be distinct and non-empty: {string.Join(", ", names)}.");
    }

    private static readonly HashSet<string> Reserved = ["image", "centered", "normalized", "image_shape", "channel_mean", "channel_std"];
}
