namespace KShotNas.Spaces.Tests;

public class Nb201SpaceTests
{
    private readonly Nb201Space _space = new();

    [Fact]
    public void HasTheBenchmarksSizeAndDecisionOrder()
    {
        Assert.Equal(15625, (int)_space.Size);
        Assert.Equal(new[] { "edge 1<-0", "edge 2<-0", "edge 2<-1", "edge 3<-0", "edge 3<-1", "edge 3<-2" }, _space.Decisions.Select(d => d.Name));
        Assert.Equal(30, _space.EncodingLength);
    }

    /// <summary>Sides the two reductions cannot halve (30 -> 15 -> 8 against 7) are refused with the sizes that work.</summary>
    [Theory]
    [InlineData(30, "28 or 32")]
    [InlineData(27, "24 or 28")]
    public void ASideThatIsNotAMultipleOfFourIsRefused(int side, string fix)
    {
        var e = Assert.Throws<ArgumentException>(() => new Nb201Space(new Nb201Options(InputSize: side)));
        Assert.Contains("multiple of 4", e.Message);
        Assert.Contains(fix, e.Message);
        Assert.NotNull(new Nb201Space(new Nb201Options(InputSize: 28)));
    }

    [Fact]
    public void StringFormRoundTripsForAll15625Cells()
    {
        var seen = new HashSet<string>();
        foreach (var a in _space.Enumerate())
        {
            var text = _space.Format(a);
            Assert.True(seen.Add(text));
            Assert.Equal(a, _space.Parse(text));
        }
        Assert.Equal(15625, seen.Count);
        var best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
        Assert.Equal(new[] { 3, 3, 3, 1, 3, 3 }, _space.Parse(best).Choices);
        Assert.Equal(best, _space.Format(_space.Parse(best)));
    }

    [Theory]
    [InlineData("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|")]
    [InlineData("|nor_conv_3x3~1|+|none~0|none~1|+|none~0|none~1|none~2|")]
    [InlineData("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")]
    [InlineData("nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")]
    [InlineData("|none~0|+|none~0|+|none~0|none~1|none~2|")]
    public void MalformedStringsAreRejected(string text) =>
        Assert.Throws<ArchitectureFormatException>(() => _space.Parse(text));

    /// <summary>The published skeleton's parameter count: 73,306 + 243,040 n3 + 28,000 n1.</summary>
    [Theory]
    [InlineData("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 0, 0)]
    [InlineData("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|", 1, 0)]
    [InlineData("|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|", 2, 3)]
    [InlineData("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", 6, 0)]
    [InlineData("|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|", 0, 6)]
    public void StandAloneParamsMatchThePublishedFormula(string cell, int n3, int n1)
    {
        var a = _space.Parse(cell);
        Assert.Equal(73_306L + 243_040L * n3 + 28_000L * n1, _space.Profile(a).Params);
        // CaLR complexity: 432 + 71,680 + 640 + 26,880 n1 + 241,920 n3
        Assert.Equal(432L + 71_680 + 640 + 26_880L * n1 + 241_920L * n3, _space.Profile(a).Complexity);
    }

    [Fact]
    public void ProfileFollowsTheSkeletonSizes()
    {
        var small = new Nb201Space(Nb201Options.FashionMnistSmall);
        var none = small.Parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
        var conv = small.Parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|");
        // one 3x3 edge per stage (N=1) at C=8,16,32: weights 9 C^2 + BN 2C
        var delta = small.Profile(conv).Params - small.Profile(none).Params;
        Assert.Equal(9L * (64 + 256 + 1024) + 2 * (8 + 16 + 32), delta);
        // FLOPs of that edge: 9 C^2 H W at 28x28, 14x14, 7x7
        var flops = small.Profile(conv).Flops - small.Profile(none).Flops;
        Assert.Equal(9L * (64 * 784 + 256 * 196 + 1024 * 49), flops);
    }

    [Fact]
    public void SamplingMutationCrossoverAndEncodingStayInTheSpace()
    {
        var rng = new Random(3);
        var counts = new int[5];
        for (var i = 0; i < 5000; i++)
        {
            var a = _space.Sample(rng);
            _space.Validate(a);
            counts[a[0]]++;
            var m = _space.Mutate(a, rng, 0.1);
            Assert.NotEqual(a, m);
            _space.Validate(_space.Crossover(a, m, rng));
        }
        Assert.All(counts, c => Assert.InRange(c, 900, 1100)); // uniform over the 5 operations
        var enc = _space.Encode(_space.Parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|avg_pool_3x3~2|"));
        Assert.Equal(6, enc.Sum());
        Assert.Equal(1, enc[3]);
        Assert.Equal(1, enc[25 + 4]);
        Assert.Throws<ArgumentException>(() => _space.Validate(new Architecture([0, 0, 0, 0, 0, 5])));
    }

    /// <summary>
    /// Pruning drops the edges out of a node no edge enters and the edges into a node that does not reach the output, and
    /// nothing else: a cell without such edges is left as it is.
    /// </summary>
    [Theory]
    // Node 1 has no input: its edges to nodes 2 and 3 go.
    [InlineData("|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|",
        "|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")]
    // Node 2 reaches nothing: its inputs go, and then node 1 reaches nothing either.
    [InlineData("|nor_conv_1x1~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|",
        "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")]
    // Node 1 has no input and node 2 only gets node 1's zeros: both go.
    [InlineData("|none~0|+|none~0|nor_conv_3x3~1|+|avg_pool_3x3~0|skip_connect~1|nor_conv_1x1~2|",
        "|none~0|+|none~0|none~1|+|avg_pool_3x3~0|none~1|none~2|")]
    [InlineData("|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|",
        "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|")]
    public void PruningDropsEdgesThatCannotChangeTheOutput(string cell, string pruned) =>
        Assert.Equal(pruned, _space.Format(Nb201Space.Pruned(_space.Parse(cell))));
}
