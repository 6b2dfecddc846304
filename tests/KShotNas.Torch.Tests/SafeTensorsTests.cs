using System.Text;
using KShotNas.Torch;
using KShotNas.Torch.Serialization;

namespace KShotNas.Torch.Tests;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-st-").FullName;

    public SafeTensorsTests() => TestSupport.Init();

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void RoundTripsTensorsOfEveryDTypeAndMetadata()
    {
        using var scope = TensorScope.Begin();
        var path = Path.Combine(_dir, "a.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.Randn([3, 4]),
            ["d"] = Tensor.FromArray(new[] { 1.0, 2.0 }),
            ["step"] = Tensor.FromArray(new long[] { 12345 }),
            ["mask"] = Tensor.FromArray(new[] { true, false }),
            ["rng"] = TorchRuntime.GetRngState(),
            ["scalar"] = Tensor.Scalar(3),
        };
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "kshotnas" });
        Assert.Single(Directory.GetFiles(_dir)); // no temporary file left behind
        using var loaded = SafeTensors.Load(path);
        Assert.Equal("kshotnas", loaded.Metadata["format"]);
        Assert.Equal(tensors.Keys.Order(), loaded.Tensors.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.Shape, loaded.Tensors[name].Shape);
            Assert.Equal(t.DType, loaded.Tensors[name].DType);
            Assert.True(t.To(DType.Float64).AllClose(loaded.Tensors[name].To(DType.Float64), 0, 0), name);
        }
        // The header is standard safetensors JSON.
        var bytes = File.ReadAllBytes(path);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0));
        Assert.Contains("\"w\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[", header);
    }

    [Fact]
    public void TruncatedOrForeignFilesGiveClearErrors()
    {
        using var scope = TensorScope.Begin();
        var path = Path.Combine(_dir, "b.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Randn([100]) });
        var full = File.ReadAllBytes(path);
        File.WriteAllBytes(path, full[..^10]);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);
        File.WriteAllText(path, "this is not a checkpoint at all");
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path));
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path));
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(Path.Combine(_dir, "missing.safetensors")));
    }
}

/// <summary>Non-finite weights are neither written nor read; stale temporary files of dead writers are removed.</summary>
public sealed class CheckpointGuardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-guard-").FullName;

    public CheckpointGuardTests() => TestSupport.Init();

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void NonFiniteTensorsAreNeitherWrittenNorRead()
    {
        using var scope = TensorScope.Begin();
        var path = Path.Combine(_dir, "w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new[] { 1f, 2f }) });
        var good = File.ReadAllBytes(path);
        var e = Assert.Throws<NonFiniteTensorException>(() =>
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new[] { 1f, float.NaN }) }));
        Assert.Equal("w", e.TensorName);
        Assert.Equal(good, File.ReadAllBytes(path)); // the previous file is untouched
        Assert.Single(Directory.GetFiles(_dir));
        // A file written by another tool with an infinity is refused on reading.
        var bad = good.ToArray();
        BitConverter.TryWriteBytes(bad.AsSpan(bad.Length - 4), float.PositiveInfinity);
        File.WriteAllBytes(path, bad);
        Assert.Throws<NonFiniteTensorException>(() => SafeTensors.Load(path));
    }

    [Fact]
    public void StaleTemporariesOfDeadWritersAreCleanedButLiveOnesKept()
    {
        var path = Path.Combine(_dir, "c.safetensors");
        var dead = Path.Combine(_dir, $".c.safetensors.{int.MaxValue - 3}.{Guid.NewGuid():N}.tmp");
        var live = Path.Combine(_dir, $".c.safetensors.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(dead, "x");
        File.WriteAllText(live, "x");
        AtomicFile.WriteAllText(path, "content");
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.Equal("content", File.ReadAllText(path));
    }
}
