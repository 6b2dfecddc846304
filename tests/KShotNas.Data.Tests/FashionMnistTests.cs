using System.IO.Compression;
using KShotNas.Data;
using KShotNas.Torch;

namespace KShotNas.Data.Tests;

public sealed class FashionMnistTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-fm-").FullName;

    public FashionMnistTests() => TorchRuntime.Threads = 2;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void LoadsBothSplitsNormalized()
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        Assert.Equal(10000, test.Count);
        Assert.Equal(new long[] { 10000, 1, 28, 28 }, test.Images.Shape);
        Assert.Equal(DType.Int64, test.Labels.DType);
        var labels = test.Labels.ToArray<long>();
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, labels.Count(l => l == c)));
        Assert.InRange(test.Images.Mean().ToDouble(), -0.05, 0.05); // normalized with the training statistics
        Assert.InRange(test.Images.Std().ToDouble(), 0.95, 1.05);
        using var train = FashionMnist.Load(DataSplit.Train);
        Assert.Equal(60000, train.Count);
    }

    [Fact]
    public void SplitsAreDisjointAndBatchesAreSeeded()
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        using var subset = test.Subset(1000, seed: 3);
        var (a, b) = subset.Split(0.2, seed: 1);
        using (a)
        using (b)
        {
            Assert.Equal(800, a.Count);
            Assert.Equal(200, b.Count);
            Assert.Equal(subset.Labels.Sum().ToDouble(), a.Labels.Sum().ToDouble() + b.Labels.Sum().ToDouble());
        }
        long[] Order(int seed) => subset.Batches(100, seed).SelectMany(batch =>
        {
            using var images = batch.Images;
            using var labels = batch.Labels;
            return labels.ToArray<long>();
        }).ToArray();
        Assert.Equal(Order(5), Order(5));
        Assert.NotEqual(Order(5), Order(6));
        Assert.Equal(10, subset.BatchCount(100));
        Assert.Equal(4, subset.Batches(300, dropLast: false).Count());
        Assert.Equal(3, subset.Batches(300, dropLast: true).Count());
    }

    [Fact]
    public void MissingTruncatedAndCorruptFilesAreNamed()
    {
        var missing = Assert.Throws<DataFormatException>(() => FashionMnist.Load(DataSplit.Test, _dir));
        Assert.Contains("t10k-images-idx3-ubyte.gz", missing.Message);
        Assert.Contains("not found", missing.Message);

        // a real file cut short: gzip stream ends early
        var src = Path.Combine(FashionMnist.DefaultDirectory, "t10k-labels-idx1-ubyte.gz");
        var bytes = File.ReadAllBytes(src);
        var truncated = Path.Combine(_dir, "labels.gz");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadUnsignedBytes(truncated, 1));
        Assert.Equal(truncated, e.FilePath);

        // a well-formed gzip whose IDX data is shorter than its header says
        var shortIdx = Path.Combine(_dir, "short.gz");
        WriteGzip(shortIdx, [0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3]);
        Assert.Contains("truncated data", Assert.Throws<DataFormatException>(() => IdxReader.ReadUnsignedBytes(shortIdx, 1)).Message);

        // not gzip at all
        var garbage = Path.Combine(_dir, "garbage.gz");
        File.WriteAllText(garbage, "definitely not gzip data, just text");
        Assert.Throws<DataFormatException>(() => IdxReader.ReadUnsignedBytes(garbage, 1));

        // wrong magic / rank
        var wrongRank = Path.Combine(_dir, "rank.gz");
        WriteGzip(wrongRank, [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 5]);
        Assert.Contains("rank 3", Assert.Throws<DataFormatException>(() => IdxReader.ReadUnsignedBytes(wrongRank, 1)).Message);
    }

    private static void WriteGzip(string path, byte[] content)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(content);
    }
}
