using KShotNas.Api;
using KShotNas.Methods;
using KShotNas.Api.Report;
using KShotNas.Data;
using KShotNas.Deployment;
using KShotNas.KShot;
using KShotNas.Onnx.Runtime;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Torch;
using KShotNas.Training;

namespace KShotNas.Api.Tests;

public sealed class ApiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kshotnas-api-").FullName;

    public ApiTests() => TorchRuntime.Threads = 2;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void SaveLoadRoundTripGivesIdenticalPredictionsAndBadFilesAreNamed()
    {
        var space = new MobileNetV2Space(MobileNetV2Options.FashionMnistSmall);
        TorchRuntime.ManualSeed(3);
        using var scope = TensorScope.Begin();
        using var model = new KShotNasModel(new StandaloneNetwork(space, space.Sample(new CheckpointableRandom(2))));
        // running statistics away from their defaults, so they must round-trip too
        model.Network.Train();
        using (NoGradScope.Begin()) model.Network.Forward(Tensor.Randn([32, 1, 28, 28]).Add(0.5));
        model.Network.Eval();
        var x = Tensor.Randn([64, 1, 28, 28]);
        var path = Path.Combine(_dir, "m.safetensors");
        model.Save(path);
        using var loaded = KShotNasModel.Load(path);
        Assert.Equal(model.ArchitectureText, loaded.ArchitectureText);
        Assert.Equal(model.Predict(x), loaded.Predict(x));
        using (NoGradScope.Begin())
            Assert.True(model.Network.Forward(x).AllClose(loaded.Network.Forward(x), 0, 0), "logits must be identical");

        File.WriteAllBytes(path, File.ReadAllBytes(path)[..5000]);
        var truncated = Assert.ThrowsAny<IOException>(() => KShotNasModel.Load(path));
        Assert.Contains(path, truncated.Message);
        var foreign = Path.Combine(_dir, "weights.safetensors");
        KShotNas.Torch.Serialization.SafeTensors.Save(foreign, new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros([2]) });
        Assert.Contains("not a KShotNas model", Assert.Throws<InvalidDataException>(() => KShotNasModel.Load(foreign)).Message);
    }

    /// <summary>The pipeline's whole path on a small slice of Fashion-MNIST: K-shot supernet, constrained search, retraining, ONNX.</summary>
    [Fact]
    public void PipelineFitsSearchesRetrainsAndExports()
    {
        var space = new Nb201Space(Nb201Options.FashionMnistSmall);
        var limit = space.Profile(space.Parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|none~2|")).Flops;
        var recipe = new NasRecipe
        {
            Space = space, Method = new KShotMethod(2, PathSampling.Spos) { Settings = new KShotOptions { WarmupEpochs = 1, SimplexPaths = 4 } },
            SupernetEpochs = 2, SearchBudget = 12, ScoringImages = 256, Seed = 5, MaxFlops = limit, RetrainEpochs = 1, Refit = false,
        };
        var (train, validation) = NasData.Load(null, 640, 512);
        using (train)
        using (validation)
        {
            var stages = new HashSet<string>();
            var estimator = new NasPipeline(recipe);
            using var model = estimator.Fit(train, validation, new SyncProgress<NasProgress>(p => stages.Add(p.Stage)));
            Assert.Equal(new[] { "retrain", "search", "supernet" }, stages.Order());
            Assert.True(space.Profile(model.Architecture).Flops <= limit);
            Assert.Equal(12, model.SearchReport!.Candidates.Count);
            Assert.Equal(model.SearchReport.Best.Arch, model.ArchitectureText);
            Assert.Equal(20, estimator.Record.SupernetLosses.Count);
            Assert.NotNull(estimator.Record.Codes);

            var onnx = Path.Combine(_dir, "m.onnx");
            model.ExportOnnx(onnx);
            using var predictor = new OnnxPredictor(onnx);
            using var scope = TensorScope.Begin();
            var x = validation.Images.Narrow(0, 0, 8).Contiguous();
            var logits = predictor.Predict(x.ToArray<float>(), 8);
            var classes = Enumerable.Range(0, 8).Select(i => (long)Array.IndexOf(logits, logits.Skip(i * 10).Take(10).Max(), i * 10) - i * 10).ToArray();
            Assert.Equal(model.Predict(x), classes);

            var report = RunReport.Write(_dir, model, recipe, estimator.Record, [("test", "value")]);
            var html = File.ReadAllText(report);
            Assert.Equal(5, System.Text.RegularExpressions.Regex.Matches(html, "<svg").Count);
            Assert.Contains(model.ArchitectureText, html);
        }
    }
}
