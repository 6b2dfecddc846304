using System.Collections.Immutable;
using System.Text;

namespace KShotNas.Spaces;

/// <summary>Sizes of the NB201 skeleton (the published benchmark: C=16, N=5, 3x32x32, 10 classes).</summary>
public sealed record Nb201Options(int C = 16, int N = 5, int InputChannels = 3, int InputSize = 32, int Classes = 10)
{
    /// <summary>The small skeleton the project trains on 2-core CPUs: C=8, N=1 on 1x28x28 Fashion-MNIST.</summary>
    public static Nb201Options FashionMnistSmall { get; } = new(8, 1, 1, 28, 10);
}

/// <summary>
/// The NAS-Bench-201 cell space: a 4-node DAG with 6 edges j->i, each one of 5 operations; 5^6 = 15,625
/// cells. The decision order is the string form's: 1&lt;-0, 2&lt;-0, 2&lt;-1, 3&lt;-0, 3&lt;-1, 3&lt;-2.
/// </summary>
public sealed class Nb201Space : SearchSpace
{
    /// <summary>Operation names by code.</summary>
    public static readonly ImmutableArray<string> Operations = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"];

    /// <summary>Operation codes.</summary>
    public const int None = 0, Skip = 1, Conv1x1 = 2, Conv3x3 = 3, AvgPool = 4;

    /// <summary>(to, from) node of each edge, in decision order.</summary>
    public static readonly ImmutableArray<(int To, int From)> Edges = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)];

    /// <summary>Creates the space for a skeleton.</summary>
    public Nb201Space(Nb201Options? options = null)
        : base("nb201", Edges.Select(e => new Decision($"edge {e.To}<-{e.From}", Operations)).ToArray())
    {
        Options = options ?? new Nb201Options();
        if (Options.C <= 0 || Options.N <= 0 || Options.InputSize < 4 || Options.Classes < 2 || Options.InputChannels <= 0)
            throw new ArgumentException($"Invalid NB201 skeleton {Options}.");
        // Each reduction adds a stride-2 convolution ((s - 1) / 2 + 1) to a 2x2 pooling (s / 2): the two agree only on
        // even sides, and the first reduction's output must be even for the second.
        if (Options.InputSize % 4 != 0)
            throw new ArgumentException($"NB201 halves the image side twice, so the side must be a multiple of 4; it is {Options.InputSize}. "
                                        + $"Resize the images to {Options.InputSize / 4 * 4} or {(Options.InputSize / 4 + 1) * 4} pixels a side "
                                        + "(in ML.NET: ResizeImages before ExtractPixels).");
    }

    /// <summary>The skeleton's sizes.</summary>
    public Nb201Options Options { get; }

    /// <inheritdoc />
    public override (int Channels, int Height, int Width, int Classes) InputShape => (Options.InputChannels, Options.InputSize, Options.InputSize, Options.Classes);

    /// <inheritdoc />
    public override string Format(Architecture a)
    {
        Validate(a);
        var sb = new StringBuilder();
        for (var node = 1; node <= 3; node++)
        {
            if (node > 1) sb.Append('+');
            sb.Append('|');
            for (var j = 0; j < node; j++) sb.Append(Operations[a[EdgeIndex(node, j)]]).Append('~').Append(j).Append('|');
        }
        return sb.ToString();
    }

    /// <summary>Decision index of edge <paramref name="from"/> -> <paramref name="to"/>.</summary>
    public static int EdgeIndex(int to, int from) => to * (to - 1) / 2 + from;

    /// <inheritdoc />
    public override Architecture Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nodes = text.Split('+');
        if (nodes.Length != 3) throw new ArchitectureFormatException(Name, text, "expected 3 node groups separated by '+'");
        var choices = new int[6];
        for (var node = 1; node <= 3; node++)
        {
            var part = nodes[node - 1];
            if (part.Length < 2 || part[0] != '|' || part[^1] != '|')
                throw new ArchitectureFormatException(Name, text, $"node {node} group must start and end with '|'");
            var edges = part[1..^1].Split('|');
            if (edges.Length != node) throw new ArchitectureFormatException(Name, text, $"node {node} needs {node} incoming edges, found {edges.Length}");
            for (var j = 0; j < node; j++)
            {
                var pieces = edges[j].Split('~');
                if (pieces.Length != 2 || pieces[1] != j.ToString())
                    throw new ArchitectureFormatException(Name, text, $"edge '{edges[j]}' of node {node} must read op~{j}");
                var op = Operations.IndexOf(pieces[0]);
                if (op < 0) throw new ArchitectureFormatException(Name, text, $"unknown operation '{pieces[0]}'");
                choices[EdgeIndex(node, j)] = op;
            }
        }
        return new Architecture(choices);
    }

    /// <summary>
    /// The cell with the edges that cannot change its output set to <see cref="None"/>: edges leaving a node that no
    /// edge enters (its value is zeros, and every operation maps zeros to zeros, batch norm included), then edges into a
    /// node that does not reach the output (node 3). The pruned cell computes the same output, so a forward may run it
    /// instead. <see cref="Profile"/> still counts the pruned edges' FLOPs.
    /// </summary>
    public static Architecture Pruned(Architecture a)
    {
        var c = a.Choices.ToArray();
        for (var node = 1; node <= 2; node++)
            if (Enumerable.Range(0, node).All(from => c[EdgeIndex(node, from)] == None))
                for (var to = node + 1; to <= 3; to++) c[EdgeIndex(to, node)] = None;
        for (var node = 2; node >= 1; node--)
            if (Enumerable.Range(node + 1, 3 - node).All(to => c[EdgeIndex(to, node)] == None))
                for (var from = 0; from < node; from++) c[EdgeIndex(node, from)] = None;
        return new Architecture(c);
    }

    /// <summary>Counts of each operation in the cell.</summary>
    public static int Count(Architecture a, int op) => a.Choices.Count(c => c == op);

    /// <inheritdoc />
    public override NetworkProfile Profile(Architecture a)
    {
        Validate(a);
        var o = Options;
        var cost = new CostCounter();
        long size = o.InputSize;
        cost.Conv(o.InputChannels, o.C, 3, size, size).BatchNorm(o.C);
        long c = o.C;
        for (var stage = 0; stage < 3; stage++)
        {
            if (stage > 0)
            {
                // residual reduction block c -> 2c: conv3x3/2, BN, conv3x3, BN; shortcut avgpool2 + conv1x1
                var outSize = (size - 1) / 2 + 1;
                cost.Conv(c, 2 * c, 3, outSize, outSize).BatchNorm(2 * c).Conv(2 * c, 2 * c, 3, outSize, outSize).BatchNorm(2 * c);
                cost.Conv(c, 2 * c, 1, size / 2, size / 2);
                c *= 2;
                size = outSize;
            }
            for (var cell = 0; cell < o.N; cell++)
                foreach (var op in a.Choices)
                    if (op is Conv1x1 or Conv3x3) cost.Conv(c, c, op == Conv3x3 ? 3 : 1, size, size).BatchNorm(c);
        }
        cost.BatchNorm(c).Linear(c, o.Classes);
        return cost.Result;
    }
}
