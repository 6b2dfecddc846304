// Image classification from folders with ML.NET and KShotNas:
//   LoadImages -> ResizeImages -> ConvertToGrayscale -> ExtractPixels -> MapValueToKey -> KShotNas -> MapKeyToValue,
// over images of any size and colour mode (scaled with the aspect kept and centre-cropped to 28x28, made grey),
// evaluated on a held-out folder, saved as model.zip (which ClassifyImage loads without KShotNas).
// Usage: ImageFolderClassifier TRAIN_DIR TEST_DIR OUT_DIR
using KShotNas.MLNet;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ImageFolderClassifier TRAIN_DIR TEST_DIR OUT_DIR");
    return 2;
}
var (trainDir, testDir, outDir) = (args[0], args[1], args[2]);
var ml = new MLContext(seed: 0);
ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("KShotNas", StringComparison.Ordinal)) Console.WriteLine(e.RawMessage); };

// One row per image file: its path and its class (the subfolder's name). Every file is decoded once first, so an
// unreadable one is named now (LoadImages would fail later, inside Fit, without a name; truncated files not at all).
IDataView Folder(string dir)
{
    var files = ImageData.ListFolder(dir);
    ImageFolder.Check(files).ThrowIfBad();
    return ml.Data.LoadFromEnumerable(files.Select(f => new ImageInput { ImagePath = f.Path, Label = f.Label }));
}
var train = Folder(trainDir);
var test = Folder(testDir);

var nas = ml.MulticlassClassification.Trainers.KShotNas(new KShotNasTrainer.Options
{
    LabelColumnName = "Label", FeatureColumnName = "Features",
    Recipe =
    {
        MaxFlops = 3_000_000,                    // hard limit of the search: multiply-accumulates per image
        TimeBudget = TimeSpan.FromSeconds(60),   // the whole Fit: supernet, search and retraining are planned to fit it
    },
});
var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath")
    .Append(ml.Transforms.ResizeImages("Image", 28, 28, resizing: ImageResizingEstimator.ResizingKind.IsoCrop))
    .Append(ml.Transforms.ConvertToGrayscale("Image"))
    .Append(ml.Transforms.ExtractPixels("Features", "Image", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red)) // grey: one channel
    .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
    .Append(nas)
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

var model = pipeline.Fit(train);
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
Directory.CreateDirectory(outDir);
var zip = Path.Combine(outDir, "model.zip");
ml.Model.Save(model, train.Schema, zip);
nas.LastResult!.SaveOnnx(Path.Combine(outDir, "model.onnx"));

Console.WriteLine($"found: {nas.LastResult.Architecture} ({nas.LastResult.Parameters:N0} params, {nas.LastResult.Flops:N0} FLOPs)");
Console.WriteLine($"test: accuracy {metrics.MicroAccuracy:P2}, macro accuracy {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F3}");
Console.WriteLine($"saved {zip}");
return 0;

internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}
