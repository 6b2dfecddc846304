using System.Diagnostics;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Torch.Nn;

namespace KShotNas.Benchmarks;

/// <summary>
/// The convolutions of NB201 paths alone, as scoring runs them: 2,048 images a call, channels-last, no gradient, one
/// input tensor per input shape (49 MiB at stage 0, beyond the caches), outputs freed at once (served by the caching
/// allocator as scoring's are). The arithmetic floor of a scoring forward, timed beside scoring.
/// </summary>
internal sealed class ConvOnlyForward : IDisposable
{
    private const int Images = 2048;
    private readonly TensorScope _scope = TensorScope.Begin();
    private readonly List<(Tensor Input, Tensor Weight, int Stride, int Padding)[]> _paths = new();

    /// <summary>Allocates one input per distinct input shape and one weight per distinct convolution.</summary>
    public ConvOnlyForward(Nb201Space space, IReadOnlyList<Architecture> paths)
    {
        using var noGrad = NoGradScope.Begin();
        var inputs = new Dictionary<(int Channels, int Size), Tensor>();
        var weights = new Dictionary<(int Cin, int Cout, int K), Tensor>();
        Tensor Input(int channels, int size) => inputs.TryGetValue((channels, size), out var x) ? x
            : inputs[(channels, size)] = channels == 1 ? Tensor.Randn([Images, 1, size, size]) // the stem reads NCHW images
                : Functional.Conv2d(Tensor.Randn([Images, channels, size, size]), Tensor.Randn([channels, channels, 1, 1]), null);
        Tensor Weight(int cin, int cout, int k) => weights.TryGetValue((cin, cout, k), out var w) ? w : weights[(cin, cout, k)] = Tensor.Randn([cout, cin, k, k]);
        foreach (var a in paths)
            _paths.Add(Convolutions(space.Options, a).Select(c => (Input(c.Cin, c.Size), Weight(c.Cin, c.Cout, c.K), c.Stride, c.K / 2)).ToArray());
    }

    /// <summary>
    /// The convolutions of a path's scoring forward: input and output channels, kernel size, stride, input side. The cells
    /// are pruned as scoring prunes them (<see cref="Nb201Space.Pruned"/>).
    /// </summary>
    public static IEnumerable<(int Cin, int Cout, int K, int Stride, int Size)> Convolutions(Nb201Options opt, Architecture a)
    {
        a = Nb201Space.Pruned(a);
        yield return (opt.InputChannels, opt.C, 3, 1, opt.InputSize);
        int c = opt.C, size = opt.InputSize;
        for (var stage = 0; stage < 3; stage++)
        {
            if (stage > 0)
            {
                yield return (c, 2 * c, 3, 2, size);
                yield return (2 * c, 2 * c, 3, 1, size / 2);
                yield return (c, 2 * c, 1, 1, size / 2); // the shortcut, after 2x2 pooling
                c *= 2;
                size /= 2;
            }
            for (var cell = 0; cell < opt.N; cell++)
                foreach (var op in a.Choices)
                    if (op is Nb201Space.Conv1x1 or Nb201Space.Conv3x3) yield return (c, c, op == Nb201Space.Conv1x1 ? 1 : 3, 1, size);
        }
    }

    /// <summary>Runs every path's convolutions once, with the caching allocator on as scoring has it; milliseconds a path.</summary>
    public double Run() => Enumerable.Range(0, _paths.Count).Sum(RunPath) / _paths.Count;

    /// <summary>Runs path <paramref name="index"/>'s convolutions once; milliseconds.</summary>
    public double RunPath(int index)
    {
        TorchRuntime.ConfigureCpuCache(true);
        using var noGrad = NoGradScope.Begin();
        var clock = Stopwatch.StartNew();
        foreach (var (x, w, stride, padding) in _paths[index])
            using (TensorScope.Begin()) Functional.Conv2d(x, w, null, stride, padding);
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <inheritdoc />
    public void Dispose() => _scope.Dispose();
}
