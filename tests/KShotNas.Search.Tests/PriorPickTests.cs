using KShotNas.Search;
using KShotNas.Spaces;

namespace KShotNas.Search.Tests;

public class PriorPickTests
{
    private static readonly Nb201Space Space = new(Nb201Options.FashionMnistSmall);

    /// <summary>Under 3M FLOPs the two-3x3 ResNet cell does not fit; the 3x3-then-1x1 variant does and is taken.</summary>
    [Fact]
    public void PicksTheCostliestResNetVariantThatFits()
    {
        Assert.Equal(PriorPick.ResNetCells[1], Space.Format(PriorPick.Choose(Space, new SearchConstraints(MaxFlops: 3_000_000))));
        Assert.Equal(PriorPick.ResNetCells[0], Space.Format(PriorPick.Choose(Space, null)));
        Assert.All(PriorPick.ResNetCells, c => Assert.True(PriorPick.AllInputsLive(Space, Space.Parse(c))));
    }

    /// <summary>
    /// With no ResNet variant under the limit: the pick meets the limit, has no operation on a dead node, and no live
    /// cell under the limit costs more.
    /// </summary>
    [Fact]
    public void OtherwisePicksTheCostliestLiveCellUnderTheLimit()
    {
        var cheapest = PriorPick.ResNetCells.Min(c => Space.Profile(Space.Parse(c)).Flops);
        var limit = new SearchConstraints(MaxFlops: cheapest - 1);
        var pick = PriorPick.Choose(Space, limit);
        Assert.DoesNotContain(Space.Format(pick), PriorPick.ResNetCells);
        var flops = Space.Profile(pick).Flops;
        Assert.True(flops < cheapest);
        Assert.True(PriorPick.AllInputsLive(Space, pick));
        Assert.DoesNotContain(Space.Enumerate(), a => limit.Allows(Space, a) && PriorPick.AllInputsLive(Space, a) && Space.Profile(a).Flops > flops);
    }

    /// <summary>
    /// The cell whose only convolutions read nodes fed by 'none' costs FLOPs but computes on zeros (it trained to 10 %):
    /// it is not live, while NAS-Bench-201's ResNet cell is.
    /// </summary>
    [Fact]
    public void OperationsOnDeadNodesAreNotLive()
    {
        Assert.False(PriorPick.AllInputsLive(Space, Space.Parse("|none~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|nor_conv_3x3~2|")));
        Assert.False(PriorPick.AllInputsLive(Space, Space.Parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"))); // output unfed
        // Convolutions whose nodes feed nothing: the cell is a skip connection that computes two convolutions for nothing.
        Assert.False(PriorPick.AllInputsLive(Space, Space.Parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|")));
        var resnet = Space.Parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|");
        Assert.True(PriorPick.AllInputsLive(Space, resnet));
        Assert.Equal(2, PriorPick.ConvolutionDepth(Space, resnet));
        Assert.Equal(1, PriorPick.Skips(Space, resnet));
    }

    [Fact]
    public void ImpossibleLimitsAreRefused() =>
        Assert.Throws<ArgumentException>(() => PriorPick.Choose(Space, new SearchConstraints(MaxFlops: 1)));
}
