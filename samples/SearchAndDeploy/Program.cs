// Find a small network for Fashion-MNIST under a FLOPs budget with K-shot NAS, then deploy it through ONNX.
// A deliberately small configuration (about a minute on 2 cores); `kshotnas run` is the full-size version.
using KShotNas.Api;
using KShotNas.Data;
using KShotNas.KShot;
using KShotNas.Onnx.Runtime;
using KShotNas.Methods;
using KShotNas.Spaces;
using KShotNas.Training;

var recipe = new NasRecipe
{
    Space = SpaceCatalog.Create("nb201:fashion-small"),   // NB201 cells, C=8, N=1, 1x28x28 input
    Method = new KShotMethod(4) { Settings = new KShotOptions { SimplexPaths = 4 } },   // K-shot NAS with 4 supernets (FairNAS steps)
    SupernetEpochs = 2,                                   // CaLR and MS are on by default
    SearchStrategy = "evolution",
    SearchBudget = 60,
    MaxFlops = 3_000_000,
    RetrainEpochs = 1,
};

var (train, validation) = NasData.Load(trainImages: 6000, rankImages: 2000);
using var test = FashionMnist.Load(DataSplit.Test);
var progress = new Progress<NasProgress>(p => { if (p.Done == p.Total) Console.WriteLine($"{p.Stage} done: {p.Detail}"); });

using var model = new NasPipeline(recipe).Fit(train, validation, progress);
Console.WriteLine($"found {model.ArchitectureText}");
Console.WriteLine($"engine test accuracy: {model.Evaluate(test):P2}");

model.Save("sample-model.safetensors");
model.ExportOnnx("sample-model.onnx");
using var onnx = new OnnxPredictor("sample-model.onnx", threads: Environment.ProcessorCount);
var images = test.Images.Narrow(0, 0, 4).Contiguous().ToArray<float>();
var logits = onnx.Predict(images, 4);
var truth = test.Labels.Narrow(0, 0, 4).ToArray<long>();
for (var i = 0; i < 4; i++)
{
    var row = logits.AsSpan(i * onnx.Classes, onnx.Classes).ToArray();
    Console.WriteLine($"test image {i}: predicted {FashionMnist.ClassNames[Array.IndexOf(row, row.Max())]}, true {FashionMnist.ClassNames[(int)truth[i]]}");
}
train.Dispose();
validation.Dispose();
