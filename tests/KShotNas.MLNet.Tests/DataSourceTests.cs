using KShotNas.Tests.Shared;
using KShotNas.Data;
using KShotNas.MLNet;
using KShotNas.Torch;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.MLNet.Tests;

/// <summary>The `--data DIR` sources: image folders (with or without train/test) and IDX folders, checked up front.</summary>
public class DataSourceTests
{
    [Fact]
    public void ImageFolderWithoutSplitsHoldsOutAFifthOfEachClass()
    {
        var dir = Directory.CreateTempSubdirectory("kshotnas-data-").FullName;
        try
        {
            Assert.Equal(100, ImageData.ExportPng(null, DataSplit.Train, dir, 10));
            var source = DataSource.Resolve(dir);
            Assert.True(source.IsImageFolder);
            Assert.Equal(28, source.ImageSize);
            var live = NativeTensors.Settled();
            using (var train = source.Load(DataSplit.Train))
            using (var test = source.Load(DataSplit.Test))
            {
                Assert.Equal((80, 20), (train.Count, test.Count));
                Assert.Equal(new long[] { 1, 28, 28 }, train.ImageShape);
                Assert.Equal(10, train.Classes);
                // normalized with the training split's statistics
                var pixels = train.Images.ToArray<float>();
                Assert.InRange(pixels.Average(), -0.05, 0.05);
                Assert.Equal(Enumerable.Range(0, 10).Select(k => 2L), test.Labels.ToArray<long>().GroupBy(l => l).OrderBy(g => g.Key).Select(g => (long)g.Count()));
            }
            Assert.Equal(live, TorchRuntime.LiveNativeTensors);
            var ml = new MLContext(0);
            var view = source.LoadView(ml, DataSplit.Test);
            Assert.Equal(new[] { 1, 28, 28 }, ((VectorDataViewType)view.Schema["Features"].Type).Dimensions.ToArray());
            Assert.Equal(255f, view.GetColumn<float[]>("Features").SelectMany(f => f).Max(), 0.5f);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BadFoldersAreNamed()
    {
        Assert.Contains("no such folder", Assert.Throws<DirectoryNotFoundException>(() => DataSource.Resolve("/nonexistent/images")).Message);
        var dir = Directory.CreateTempSubdirectory("kshotnas-data-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "only-class"));
            Assert.Contains("1 class subfolder(s)", Assert.Throws<InvalidDataException>(() => DataSource.Resolve(dir)).Message);
            Directory.CreateDirectory(Path.Combine(dir, "other-class"));
            Assert.Contains("no image files", Assert.Throws<InvalidDataException>(() => DataSource.Resolve(dir)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DefaultIsTheInstalledFashionMnist()
    {
        var source = DataSource.Resolve(null);
        Assert.False(source.IsImageFolder);
        Assert.Contains("Fashion-MNIST", source.Description);
    }
}
