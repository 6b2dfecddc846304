using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.KShot;

/// <summary>
/// K-shot NAS's simplex-net: an architecture's encoding (the concatenated one-hot choices of its decisions;
/// width decisions are decisions, so the width encoding is part of it) -> Linear -> ReLU -> Linear -> softmax
/// with temperature tau -> a code lambda on the K-simplex, one per architecture.
/// </summary>
public sealed class SimplexNet : Module
{
    private readonly Linear _hidden, _out;

    /// <summary>Creates the net for a space.</summary>
    public SimplexNet(SearchSpace space, int k, int hidden = 64, double temperature = 0.3)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "A simplex-net needs K >= 2 (K = 1 is one-shot training).");
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        Space = space;
        K = k;
        Hidden = hidden;
        Temperature = temperature;
        _hidden = RegisterModule("hidden", new Linear(space.EncodingLength, hidden));
        _out = RegisterModule("out", new Linear(hidden, k));
    }

    /// <summary>The space whose architectures it encodes.</summary>
    public SearchSpace Space { get; }
    /// <summary>Number of supernets mixed.</summary>
    public int K { get; }
    /// <summary>Hidden width of the MLP.</summary>
    public int Hidden { get; }
    /// <summary>Softmax temperature tau (the seeds' 0.3).</summary>
    public double Temperature { get; }

    /// <summary>Codes [n, K] for encodings [n, EncodingLength].</summary>
    public override Tensor Forward(Tensor encodings)
    {
        using var scope = TensorScope.Begin();
        var logits = _out.Forward(_hidden.Forward(encodings).Relu());
        return Functional.Softmax(logits.Div(Temperature), 1).MoveToOuterScope();
    }

    /// <summary>The one-hot encodings of <paramref name="architectures"/> as a [n, EncodingLength] tensor.</summary>
    public Tensor Encode(IReadOnlyList<Architecture> architectures)
    {
        var width = Space.EncodingLength;
        var data = new float[architectures.Count * width];
        for (var i = 0; i < architectures.Count; i++) Space.Encode(architectures[i]).CopyTo(data, i * width);
        return Tensor.FromSpan<float>(data, [architectures.Count, width]);
    }

    /// <summary>Codes [n, K] of <paramref name="architectures"/>.</summary>
    public Tensor Codes(IReadOnlyList<Architecture> architectures)
    {
        using var scope = TensorScope.Begin();
        return Forward(Encode(architectures)).MoveToOuterScope();
    }

    /// <summary>The codes as arrays (no autograd), one per architecture.</summary>
    public float[][] CodeValues(IReadOnlyList<Architecture> architectures)
    {
        using var noGrad = NoGradScope.Begin();
        using var codes = Codes(architectures);
        var flat = codes.ToArray<float>();
        return Enumerable.Range(0, architectures.Count).Select(i => flat.AsSpan(i * K, K).ToArray()).ToArray();
    }
}
