using System.Diagnostics;
using System.Globalization;
using KShotNas.Data;
using KShotNas.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace KShotNas.MLNet.Tests;

public class TrainerTests
{
    /// <summary>
    /// The pipeline a user writes (the snippet) on image files: fit, evaluate, save, and load in a process
    /// that does not reference KShotNas (the ClassifyImage sample), with equal scores.
    /// </summary>
    [Fact]
    public void SnippetFitsEvaluatesAndRoundTripsWithoutKShotNas()
    {
        var dir = Directory.CreateTempSubdirectory("kshotnas-mlnet-").FullName;
        try
        {
            ImageData.ExportPng(null, DataSplit.Train, Path.Combine(dir, "train"), 150);
            ImageData.ExportPng(null, DataSplit.Test, Path.Combine(dir, "test"), 10);
            var ml = new MLContext(seed: 0);
            IDataView Files(string d) => ml.Data.LoadFromEnumerable(ImageData.ListFolder(d).Select(f => new ImageRow { ImagePath = f.Path, Label = f.Label }));
            var rows = Files(Path.Combine(dir, "train"));
            var testRows = Files(Path.Combine(dir, "test"));
            var images = ml.Transforms.LoadImages("Image", null, "ImagePath").Append(ml.Transforms.ResizeImages("Image", 28, 28))
                .Append(ml.Transforms.ExtractPixels("Features", "Image", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red))
                .Append(ml.Transforms.DropColumns("Image")).Fit(rows);
            var train = images.Transform(rows);
            var test = images.Transform(testRows);

            var options = TestData.Tiny();
            options.LabelColumnName = "Label";
            options.FeatureColumnName = "Features";
            options.ImageShape = [1, 28, 28];
            var log = new List<string>();
            ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("KShotNas")) lock (log) log.Add(e.RawMessage); };
            var nas = ml.MulticlassClassification.Trainers.KShotNas(options);
            var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(nas)
                .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
            var model = pipeline.Fit(train);

            var scored = model.Transform(test);
            var metrics = ml.MulticlassClassification.Evaluate(scored);
            Assert.InRange(metrics.MicroAccuracy, 0.3, 1.0); // far above chance (0.1) after a few seconds of training
            // PredictedLabel: a one-element vector of the label's values after MapKeyToValue.
            Assert.Equal(TextDataViewType.Instance, ((VectorDataViewType)scored.Schema["PredictedLabel"].Type).ItemType);
            Assert.Contains(log, l => l.Contains("supernet"));
            Assert.Contains(log, l => l.Contains("search"));
            Assert.Contains(log, l => l.Contains("]: found"));
            var result = nas.LastResult!;
            Assert.True(result.Flops <= 3_000_000 && result.Parameters > 0, $"{result.Flops} FLOPs");
            Assert.Equal(10, result.ClassNames.Length);

            var zip = Path.Combine(dir, "model.zip");
            ml.Model.Save(images.Append(model), rows.Schema, zip);
            var files = ImageData.ListFolder(Path.Combine(dir, "test")).Take(6).Select(f => f.Path).ToList();
            var expected = images.Append(model).Transform(ml.Data.LoadFromEnumerable(files.Select(f => new ImageRow { ImagePath = f })))
                .GetColumn<float[]>("Score").ToList();
            // A prediction engine binds PredictedLabel (after MapKeyToValue) to a string array, as docs/mlnet.md says.
            var engine = ml.Model.CreatePredictionEngine<ImageRow, Prediction>(images.Append(model));
            var single = engine.Predict(new ImageRow { ImagePath = files[0] });
            Assert.Single(single.PredictedLabel);
            Assert.Equal(expected[0], single.Score);
            var lines = RunClassifyImage(zip, files);
            Assert.Equal(files.Count, lines.Count);
            for (var i = 0; i < files.Count; i++)
            {
                var scores = lines[i].Split('\t')[2].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                Assert.Equal(expected[i].Length, scores.Length);
                for (var k = 0; k < scores.Length; k++) Assert.InRange(scores[k] - expected[i][k], -1e-6f, 1e-6f);
                Assert.Equal(result.ClassNames[Array.IndexOf(expected[i], expected[i].Max())], lines[i].Split('\t')[1]);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<string> RunClassifyImage(string zip, IEnumerable<string> files)
    {
        var dll = Path.Combine(TestData.RepoRoot(), "samples", "ClassifyImage", "bin", "Release", "net10.0", "ClassifyImage.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution in Release.");
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(dll)!, "KShotNas.MLNet.dll")), "the loader must not ship KShotNas");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, zip }.Concat(files)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public void CancelExecutionStopsFit()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(TestData.Rows(ml, 2000)).Transform(TestData.Rows(ml, 2000));
        var options = TestData.Tiny();
        options.Recipe.SupernetEpochs = 50;
        // Time from the request to the stop (not the whole fit: loading the data is slow on a loaded machine).
        var clock = new Stopwatch();
        options.Progress = new Progress(p =>
        {
            if (p.Stage != "supernet" || clock.IsRunning) return;
            clock.Start();
            MLContextAccess.CancelExecution(ml);
        });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.KShotNas(options).Fit(data));
        Assert.True(clock.IsRunning && clock.Elapsed < TimeSpan.FromSeconds(30), $"stopped {clock.Elapsed} after the request (50 epochs take minutes)");
    }

    /// <summary>Few-shot NAS is a recipe's method like any other: the ML.NET trainer builds, trains and searches its sub-supernets.</summary>
    [Fact]
    public void FewShotIsReachableFromTheTrainer()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(TestData.Rows(ml, 600)).Transform(TestData.Rows(ml, 600));
        var options = TestData.Tiny();
        options.Recipe.Method = new KShotNas.Methods.FewShotMethod(0, KShotNas.Training.PathSampling.Spos);
        var stages = new List<string>();
        options.Progress = new Progress(p => { if (!stages.Contains(p.Stage)) stages.Add(p.Stage); });
        var trainer = ml.MulticlassClassification.Trainers.KShotNas(options);
        trainer.Fit(data);
        Assert.Equal(["supernet", "search", "retrain"], stages);
        Assert.Equal("fewshot:0:spos", trainer.LastResult!.Recipe.Method.Name);
        Assert.Equal(4, trainer.LastResult.Search!.Candidates.Count);
        // 5 sub-supernets (one per option of edge 1<-0), each a whole epoch of the training rows at batch 64
        Assert.Equal(5 * (trainer.LastResult.TrainingRows / 64), trainer.LastResult.Record.SupernetLosses.Count);
    }

    [Fact]
    public void CancellationTokenStopsFit()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(TestData.Rows(ml, 2000)).Transform(TestData.Rows(ml, 2000));
        using var cts = new CancellationTokenSource();
        var options = TestData.Tiny();
        options.Recipe.SupernetEpochs = 50;
        options.CancellationToken = cts.Token;
        options.Progress = new Progress(p => { if (p.Stage == "supernet") cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.KShotNas(options).Fit(data));
    }

    [Fact]
    public void StreamsDataLargerThanTheMemoryBudget()
    {
        var ml = new MLContext(seed: 0);
        var rows = TestData.Rows(ml, 2000);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rows).Transform(rows);
        var options = TestData.Tiny();
        options.MemoryBudgetBytes = 1 << 20; // 1 MiB < 1,500 x 784 x 4 bytes
        options.StreamingShufflePool = 256;
        var nas = ml.MulticlassClassification.Trainers.KShotNas(options);
        var model = nas.Fit(data);
        Assert.True(nas.LastResult!.Streamed);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.InRange(metrics.MicroAccuracy, 0.3, 1.0);
    }

    private sealed class Progress(Action<KShotNas.Api.NasProgress> report) : IProgress<KShotNas.Api.NasProgress>
    {
        public void Report(KShotNas.Api.NasProgress value) => report(value);
    }
}

public sealed class Prediction
{
    public string[] PredictedLabel { get; set; } = [];
    public float[] Score { get; set; } = [];
}

public sealed class ImageRow
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}
