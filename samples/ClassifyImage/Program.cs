// Classifies image files with a model.zip saved by ImageFolderClassifier, without referencing KShotNas.
// Usage: ClassifyImage MODEL.zip IMAGE [IMAGE...]
// Prints one line per image: path, predicted class, and the class probabilities (round-trip precision).
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: ClassifyImage MODEL.zip IMAGE [IMAGE...]");
    return 2;
}
var ml = new MLContext();
var model = ml.Model.Load(args[0], out _);
var images = ml.Data.LoadFromEnumerable(args.Skip(1).Select(p => new ImageInput { ImagePath = Path.GetFullPath(p) }));
var scored = model.Transform(images);
// PredictedLabel is a one-element vector (ML.NET has no vector-to-scalar transform); Score holds the probabilities.
var labels = scored.GetColumn<string[]>("PredictedLabel").ToList();
var scores = scored.GetColumn<float[]>("Score").ToList();
for (var i = 0; i < labels.Count; i++)
    Console.WriteLine($"{args[i + 1]}\t{labels[i][0]}\t{string.Join(" ", scores[i].Select(s => s.ToString("R", CultureInfo.InvariantCulture)))}");
return 0;

/// <summary>The one input column the saved pipeline reads (LoadImages starts from it); Label is unused at prediction.</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}
