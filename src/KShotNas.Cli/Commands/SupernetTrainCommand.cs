using System.CommandLine;
using KShotNas.KShot;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Optim;
using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>`kshotnas supernet-train`: trains a supernet with any method and options and writes a checkpoint.</summary>
internal static class SupernetTrainCommand
{
    public static Command Create()
    {
        var space = new Option<string>("--space") { Description = "Space descriptor (nb201:C=8,N=1,in=1,size=28,classes=10 is 'nb201:fashion-small').", DefaultValueFactory = _ => "nb201:fashion-small" };
        var method = new Option<PathSampling>("--method") { Description = "Path sampling: Spos, FairNas or Sandwich.", DefaultValueFactory = _ => PathSampling.Spos };
        var calr = new Option<bool>("--calr") { Description = "Complexity-aware LR schedule (else cosine)." };
        var gammaMax = new Option<double>("--gamma-max") { Description = "CaLR gamma_max.", DefaultValueFactory = _ => 4 };
        var ms = new Option<bool>("--ms") { Description = "Momentum separation." };
        var msEdges = new Option<int>("--ms-edges") { Description = "Number of MS decisions drawn at random.", DefaultValueFactory = _ => 1 };
        var msDecisions = new Option<int[]?>("--ms-decisions") { Description = "MS decisions given explicitly (indices).", AllowMultipleArgumentsPerToken = true };
        var untouched = new Option<UntouchedParameters>("--untouched") { Description = "Weights off the path: Skip or UpdateWithZeroGradient.", DefaultValueFactory = _ => UntouchedParameters.Skip };
        var fewShot = new Option<int?>("--few-shot") { Description = "Few-shot NAS: split on this decision (NB201 edge 1<-0 is 0)." };
        var transfer = new Option<string?>("--transfer-from") { Description = "Few-shot weight transfer from a one-shot checkpoint." };
        var norm = new Option<SupernetNorm>("--norm") { Description = "BatchStatistics or Recalibrated.", DefaultValueFactory = _ => SupernetNorm.BatchStatistics };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 1, Description = "Epochs (per sub-supernet with few-shot)." };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 64, Description = "Batch size." };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 0.025, Description = "lr_0." };
        var minLr = new Option<double>("--min-lr") { DefaultValueFactory = _ => 0.001, Description = "End of the cosine schedule." };
        var clip = new Option<double>("--clip") { DefaultValueFactory = _ => 5, Description = "Gradient clipping norm (0: none)." };
        var smoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing." };
        var trainImages = new Option<int?>("--train-images") { Description = "Use this many images of the supernet half of Fashion-MNIST (default: all 30,000)." };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0, Description = "Seed." };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount, Description = "libtorch threads." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Fashion-MNIST folder." };
        var k = new Option<int>("--k") { Description = "K-shot NAS: number of supernets mixed per path (1: one-shot).", DefaultValueFactory = _ => 1 };
        var warmup = new Option<double?>("--warmup-epochs") { Description = "K-shot warm-up epochs with lambda = 1/K (fractions allowed; default: the seeds' 5/120 of the epochs)." };
        var simplexPaths = new Option<int>("--simplex-paths") { Description = "K-shot m: paths per simplex-net update.", DefaultValueFactory = _ => 16 };
        var simplexGroup = new Option<int>("--simplex-group") { Description = "K-shot images per path in a simplex-net update (seeds: 64), capped at the batch size.", DefaultValueFactory = _ => 64 };
        var tau = new Option<double>("--tau") { Description = "K-shot simplex-net softmax temperature.", DefaultValueFactory = _ => 0.3 };
        var widthReg = new Option<double>("--width-reg") { Description = "K-shot weight a of the width regularizer r_c.", DefaultValueFactory = _ => 1 };
        var simplexLr = new Option<double>("--simplex-lr") { Description = "K-shot simplex-net learning rate.", DefaultValueFactory = _ => 0.05 };
        var output = new Option<string>("--out") { Description = "Checkpoint file to write (.safetensors).", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from --out if it exists." };
        var command = new Command("supernet-train", "Train a supernet on half of the Fashion-MNIST training set and write a checkpoint.")
        {
            space, method, calr, gammaMax, ms, msEdges, msDecisions, untouched, fewShot, transfer, norm, epochs, batch, lr, minLr, clip, smoothing,
            trainImages, seed, threads, dataDir, k, warmup, simplexPaths, simplexGroup, tau, widthReg, simplexLr, output, resume,
        };
        command.SetAction((p, ct) =>
        {
            TorchRuntime.Threads = p.GetValue(threads);
            TorchRuntime.ManualSeed(p.GetValue(seed));
            var options = new SupernetTrainerOptions
            {
                Sampling = p.GetValue(method), Calr = p.GetValue(calr), GammaMax = p.GetValue(gammaMax), MomentumSeparation = p.GetValue(ms),
                MsDecisionCount = p.GetValue(msEdges), MsDecisions = p.GetValue(msDecisions), Untouched = p.GetValue(untouched),
                Epochs = p.GetValue(epochs), BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), MinLearningRate = p.GetValue(minLr),
                GradientClipNorm = p.GetValue(clip) > 0 ? p.GetValue(clip) : null, LabelSmoothing = p.GetValue(smoothing), Seed = p.GetValue(seed),
                CheckpointPath = p.GetValue(output),
                KShot = new KShotOptions
                {
                    WarmupEpochs = p.GetValue(warmup), SimplexPaths = p.GetValue(simplexPaths), SimplexGroupSize = p.GetValue(simplexGroup), WidthRegularization = p.GetValue(widthReg),
                    SimplexLearningRate = p.GetValue(simplexLr),
                },
            };
            var kValue = p.GetValue(k);
            if (kValue > 1 && p.GetValue(fewShot) is not null) throw new ArgumentException("K-shot and few-shot training are not combined.");
            var searchSpace = SpaceCatalog.Create(p.GetValue(space)!);
            NasData.CheckInputShape(searchSpace);
            var (train, ranking) = NasData.Load(p.GetValue(dataDir), p.GetValue(trainImages), 1);
            ranking.Dispose();
            using (train)
            using (var supernet = SupernetFile.Create(searchSpace, kValue, p.GetValue(norm), p.GetValue(fewShot) ?? -1))
            {
                if (kValue > 1) supernet.Simplex = new SimplexNet(searchSpace, kValue, temperature: p.GetValue(tau));
                var path = p.GetValue(output)!;
                var resumeFrom = p.GetValue(resume) && File.Exists(path) ? path : null;
                AnsiConsole.MarkupLine(Markup.Escape($"{searchSpace.Name} supernet ({supernet.ParameterCount():N0} weights), {options.Sampling}"
                    + $"{(kValue > 1 ? $" K-shot K={kValue}" : "")}{(options.Calr ? " + CaLR" : "")}{(options.MomentumSeparation ? " + MS" : "")}{(supernet is FewShotSupernet ? " (few-shot)" : "")}, "
                    + $"{train.Count:N0} images, {options.Epochs} epochs"));
                var steps = (long)train.BatchCount(options.BatchSize, dropLast: true) * options.Epochs;
                if (supernet is FewShotSupernet few)
                {
                    using var source = p.GetValue(transfer) is { } t ? SupernetFile.Load(t) : null;
                    var results = ProgressDisplay.Run<(int Sub, SupernetProgress P), IReadOnlyList<SupernetTrainingResult>>(
                        steps * few.SubSupernets.Count, r => r.Sub * steps + r.P.Step, r => $"sub-supernet {r.Sub}: {Describe(r.P)}",
                        progress => new FewShotTrainer(options).Fit(few, train, source, progress, ct, resumeFrom is not null || p.GetValue(resume)));
                    SupernetFile.Save(path, few);
                    AnsiConsole.MarkupLine($"{results.Count} sub-supernets trained, {results.Sum(r => r.Duration.TotalSeconds):F1} s; written to {Markup.Escape(path)}");
                }
                else
                {
                    var result = ProgressDisplay.Run<SupernetProgress, SupernetTrainingResult>(steps, r => r.Step, Describe,
                        progress => new SupernetTrainer(options).Fit(supernet, train, progress, ct, resumeFrom));
                    AnsiConsole.WriteLine($"{result.Steps} steps, {result.Duration.TotalSeconds:F1} s, final loss {result.StepLosses.TakeLast(20).DefaultIfEmpty(double.NaN).Average():F3}"
                        + (result.MsDecisions.Count > 0 ? $", MS decisions [{string.Join(",", result.MsDecisions)}]" : "")
                        + $"; checkpoint {path}");
                    foreach (var warning in result.Warnings ?? []) AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]");
                }
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static string Describe(SupernetProgress p) => p.Warning is { } w ? $"WARNING {w}" :
        $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} acc {p.Accuracy:P1} lr {p.LearningRate:G3} {p.ImagesPerSecond:F0} img/s";
}
