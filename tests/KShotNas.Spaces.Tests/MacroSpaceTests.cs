using System.Text.Json;

namespace KShotNas.Spaces.Tests;

public class MacroSpaceTests
{
    [Fact]
    public void ProfilerReproducesParamsAndFlopsOfAll6561TableEntries()
    {
        var space = new NasBenchMacroSpace();
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Path("data", "nas-bench-macro", "nas-bench-macro_cifar10.json")));
        var n = 0;
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            var a = space.Parse(entry.Name);
            Assert.Equal(entry.Name, space.Format(a));
            var p = space.Profile(a);
            Assert.True(entry.Value.GetProperty("params").GetInt64() == p.Params, $"{entry.Name}: params {p.Params}");
            Assert.True(entry.Value.GetProperty("flops").GetInt64() == p.Flops, $"{entry.Name}: flops {p.Flops}");
            n++;
        }
        Assert.Equal(6561, n);
        Assert.Equal(6561, (int)space.Size);
        Assert.Throws<ArchitectureFormatException>(() => space.Parse("0120"));
        Assert.Throws<ArchitectureFormatException>(() => space.Parse("01230000"));
    }

    [Fact]
    public void MobileNetV2SpaceHasTheSeedsLayout()
    {
        var space = new MobileNetV2Space();
        Assert.Equal(21, space.Decisions.Count);
        Assert.Equal(6, space.Decisions.Count(d => d.Count == 6)); // layers that change stride or width cannot skip
        Assert.Equal(15, space.Decisions.Count(d => d.Count == 7));
        var rng = new Random(1);
        for (var i = 0; i < 200; i++)
        {
            var a = space.Sample(rng);
            Assert.Equal(a, space.Parse(space.Format(a)));
        }
        var largest = space.Parse(string.Join("-", Enumerable.Repeat("k7e6", 21)));
        var smallest = space.Parse(string.Join("-", space.LayerSpecs.Select(l => l.CanSkip ? "skip" : "k3e3")));
        Assert.True(space.Profile(largest).Flops > space.Profile(smallest).Flops * 3);
        // MobileNetV2-like sizes at 224: hundreds of MFLOPs, millions of params
        Assert.InRange(space.Profile(largest).Flops, 300_000_000, 1_500_000_000);
    }

    [Fact]
    public void MobileNetV2WidthSearchShrinksTheNetworkAndRoundTrips()
    {
        var space = new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall);
        Assert.True(space.SearchesWidth);
        Assert.Equal(12, space.Decisions.Count); // 6 layers + 6 widths
        var full = space.Parse("k3e6@1-k3e6@1-k3e6@1-k3e6@1-k3e6@1-k3e6@1");
        var half = space.Parse("k3e6@0.5-k3e6@0.5-k3e6@0.5-k3e6@0.5-k3e6@0.5-k3e6@0.5");
        Assert.True(space.Profile(half).Params < space.Profile(full).Params);
        Assert.Equal(8, space.OutputChannels(half, 0));
        Assert.Equal("k3e6@0.5-k3e6@0.5-k3e6@0.5-k3e6@0.5-k3e6@0.5-k3e6@0.5", space.Format(half));
        Assert.Throws<ArchitectureFormatException>(() => space.Parse("k3e6-k3e6-k3e6-k3e6-k3e6-k3e6"));
    }
}
