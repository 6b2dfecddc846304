using KShotNas.Data;
using System.CommandLine;
using KShotNas.Distributed;
using KShotNas.KShot;
using KShotNas.Reliability;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Torch.Optim;
using KShotNas.Torch.Serialization;
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
        var k = new Option<int>("--k") { Description = "K-shot NAS: number of supernets mixed per path (1: one-shot). Measured here (docs/study/ranking-budget.md, 2 seeds per point): level with K = 1 at 50 path-epochs on FairNAS + CaLR + MS, 0.11 tau-b worse at 100, worse on SPOS; never better at equal compute.", DefaultValueFactory = _ => 1 };
        var warmup = new Option<double?>("--warmup-epochs") { Description = "K-shot warm-up epochs with lambda = 1/K (fractions allowed; default: the seeds' 5/120 of the epochs)." };
        var simplexPaths = new Option<int>("--simplex-paths") { Description = "K-shot m: paths per simplex-net update.", DefaultValueFactory = _ => 16 };
        var simplexGroup = new Option<int>("--simplex-group") { Description = "K-shot images per path in a simplex-net update (seeds: 64), capped at the batch size.", DefaultValueFactory = _ => 64 };
        var tau = new Option<double>("--tau") { Description = "K-shot simplex-net softmax temperature.", DefaultValueFactory = _ => 0.3 };
        var widthReg = new Option<double>("--width-reg") { Description = "K-shot weight a of the width regularizer r_c.", DefaultValueFactory = _ => 1 };
        var simplexLr = new Option<double>("--simplex-lr") { Description = "K-shot simplex-net learning rate.", DefaultValueFactory = _ => 0.05 };
        var stepRule = new Option<KShotStepRule>("--kshot-step") { Description = "K-shot merged-weight step: PerCopy (the seeds: lr x sum lambda^2) or OneShot (the loss scaled by 1 / sum lambda^2, one supernet's step at any code).", DefaultValueFactory = _ => KShotStepRule.PerCopy };
        var copiesFrom = new Option<string?>("--copies-from") { Description = "K-shot: start every copy from this one-shot (K = 1) checkpoint's weights, plus --copy-noise." };
        var copyNoise = new Option<double>("--copy-noise") { Description = "K-shot with --copies-from: Gaussian noise per copy, in units of each weight tensor's standard deviation.", DefaultValueFactory = _ => 0.01 };
        var output = new Option<string>("--out") { Description = "Checkpoint file to write (.safetensors).", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from --out if it exists." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Steps between checkpoints (besides every epoch's end; 0: epoch ends only).", DefaultValueFactory = _ => 100 };
        var command = new Command("supernet-train", "Train a supernet on half of the Fashion-MNIST training set and write a checkpoint.")
        {
            space, method, calr, gammaMax, ms, msEdges, msDecisions, untouched, fewShot, transfer, norm, epochs, batch, lr, minLr, clip, smoothing,
            trainImages, seed, threads, k, warmup, simplexPaths, simplexGroup, tau, widthReg, simplexLr, stepRule, copiesFrom, copyNoise, output, resume,
            checkpointEvery,
        };
        var distributed = new DistributedOptions(); // --batch-size is then the global batch, split over the ranks
        distributed.AddTo(command);
        command.SetAction((p, ct) =>
        {
            // Every option is checked before any data is loaded or any weight is trained.
            OptionChecks.AtLeast("--epochs", p.GetValue(epochs), 1);
            OptionChecks.AtLeast("--batch-size", p.GetValue(batch), 1);
            OptionChecks.Positive("--lr", p.GetValue(lr));
            OptionChecks.NonNegative("--min-lr", p.GetValue(minLr));
            OptionChecks.NonNegative("--clip", p.GetValue(clip));
            OptionChecks.InRange("--label-smoothing", p.GetValue(smoothing), 0, 1, maxExclusive: true);
            OptionChecks.InRange("--gamma-max", p.GetValue(gammaMax), 1, 1e6);
            OptionChecks.AtLeast("--ms-edges", p.GetValue(msEdges), 1);
            CliChecks.AtLeast("--train-images", p.GetValue(trainImages), 1);
            OptionChecks.AtLeast("--k", p.GetValue(k), 1);
            if (p.GetValue(warmup) is { } warmupEpochs) OptionChecks.NonNegative("--warmup-epochs", warmupEpochs);
            OptionChecks.AtLeast("--simplex-paths", p.GetValue(simplexPaths), 1);
            OptionChecks.AtLeast("--simplex-group", p.GetValue(simplexGroup), 1);
            OptionChecks.Positive("--tau", p.GetValue(tau));
            OptionChecks.NonNegative("--width-reg", p.GetValue(widthReg));
            OptionChecks.Positive("--simplex-lr", p.GetValue(simplexLr));
            OptionChecks.AtLeast("--checkpoint-every", p.GetValue(checkpointEvery), 0);
            if (p.GetValue(transfer) is { } tf) OptionChecks.ExistingFile("--transfer-from", tf);
            OptionChecks.NonNegative("--copy-noise", p.GetValue(copyNoise));
            if (p.GetValue(copiesFrom) is { } cf)
            {
                OptionChecks.ExistingFile("--copies-from", cf);
                if (p.GetValue(k) < 2) throw new InvalidOptionException("--copies-from", "starts the K copies of a K-shot supernet; add --k 2 or more.");
            }
            var path = OptionChecks.WritableFile("--out", p.GetValue(output));
            using var runLock = distributed.LockOutput(p, path, isFolder: false);
            CliChecks.TorchThreads(p.GetValue(threads));
            TorchRuntime.ManualSeed(p.GetValue(seed));
            var options = new SupernetTrainerOptions
            {
                Sampling = p.GetValue(method), Calr = p.GetValue(calr), GammaMax = p.GetValue(gammaMax), MomentumSeparation = p.GetValue(ms),
                MsDecisionCount = p.GetValue(msEdges), MsDecisions = p.GetValue(msDecisions), Untouched = p.GetValue(untouched),
                Epochs = p.GetValue(epochs), BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), MinLearningRate = p.GetValue(minLr),
                GradientClipNorm = p.GetValue(clip) > 0 ? p.GetValue(clip) : null, LabelSmoothing = p.GetValue(smoothing), Seed = p.GetValue(seed),
                CheckpointPath = path, CheckpointEvery = p.GetValue(checkpointEvery),
                KShot = new KShotOptions
                {
                    WarmupEpochs = p.GetValue(warmup), SimplexPaths = p.GetValue(simplexPaths), SimplexGroupSize = p.GetValue(simplexGroup), WidthRegularization = p.GetValue(widthReg),
                    SimplexLearningRate = p.GetValue(simplexLr), StepRule = p.GetValue(stepRule),
                },
            };
            var kValue = p.GetValue(k);
            var supernetMethod = Methods.SupernetMethod.From(options.Sampling, kValue, p.GetValue(fewShot), p.GetValue(tau));
            supernetMethod.Validate(options);
            var searchSpace = SpaceCatalog.Create(p.GetValue(space)!);
            if (p.GetValue(fewShot) is { } split && (split < 0 || split >= searchSpace.Decisions.Count))
                throw new InvalidOptionException("--few-shot", $"must be a decision index in [0, {searchSpace.Decisions.Count - 1}] (got {split}).");
            var source = CliData.Source(p, searchSpace);
            var (train, ranking) = NasData.Split(source.Load(DataSplit.Train), p.GetValue(trainImages), 1);
            CliData.CheckSpace(searchSpace, train, source);
            ranking.Dispose();
            using var group = distributed.Join(p);
            var parallel = group is null ? null : DataParallel.Across(group);
            var writer = parallel?.IsWriter ?? true; // rank 0 writes every file
            using (train)
            using (var supernet = supernetMethod.Build(searchSpace, p.GetValue(norm)))
            {
                CheckExistingOutput(path, supernet, p.GetValue(resume));
                var resumeFrom = p.GetValue(resume) && File.Exists(path) ? path : null;
                if (p.GetValue(copiesFrom) is { } copiesPath && resumeFrom is null) StartCopies(supernet, copiesPath, p.GetValue(copyNoise));
                AnsiConsole.MarkupLine(Markup.Escape($"{searchSpace.Name} supernet ({supernet.ParameterCount():N0} weights), {options.Sampling}"
                    + $"{(kValue > 1 ? $" K-shot K={kValue}" : "")}{(options.Calr ? " + CaLR" : "")}{(options.MomentumSeparation ? " + MS" : "")}{(supernet is FewShotSupernet ? " (few-shot)" : "")}, "
                    + $"{train.Count:N0} images, {options.Epochs} epochs"));
                var steps = (long)train.BatchCount(options.BatchSize, dropLast: true) * options.Epochs;
                if (supernet is FewShotSupernet few)
                {
                    using var transferSource = p.GetValue(transfer) is { } t ? SupernetFile.Load(t) : null;
                    var results = ProgressDisplay.Run<(int Sub, SupernetProgress P), IReadOnlyList<SupernetTrainingResult>>(
                        steps * few.SubSupernets.Count, r => r.Sub * steps + r.P.Step, r => $"sub-supernet {r.Sub}: {Describe(r.P)}",
                        progress => new FewShotTrainer(options) { Parallel = parallel }.Fit(few, train, transferSource, progress, ct, resumeFrom is not null || p.GetValue(resume)));
                    if (writer) SupernetFile.Save(path, few);
                    group?.Barrier("end of training");
                    AnsiConsole.MarkupLine($"{results.Count} sub-supernets trained, {results.Sum(r => r.Duration.TotalSeconds):F1} s; written to {Markup.Escape(path)}");
                }
                else
                {
                    var result = ProgressDisplay.Run<SupernetProgress, SupernetTrainingResult>(steps, r => r.Step, Describe,
                        progress => new SupernetTrainer(options) { Parallel = parallel }.Fit(supernet, train, progress, ct, resumeFrom));
                    group?.Barrier("end of training");
                    AnsiConsole.WriteLine($"{result.Steps} steps, {result.Duration.TotalSeconds:F1} s, final loss {result.StepLosses.TakeLast(20).DefaultIfEmpty(double.NaN).Average():F3}"
                        + (result.MsDecisions.Count > 0 ? $", MS decisions [{string.Join(",", result.MsDecisions)}]" : "")
                        + $"; checkpoint {path}");
                    if (group is not null) // one plain line (never wrapped): benchmarks/distributed.sh reads it
                        Console.WriteLine($"rank {group.Rank}/{group.WorldSize}: {group.CommunicationTime.TotalSeconds:F2} s of {result.Duration.TotalSeconds:F2} s "
                                          + $"in {group.Collectives} collectives; gradient bucket {group.LastGradientElements} floats");
                    foreach (var warning in result.Warnings ?? []) AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]");
                }
            }
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>
    /// An existing --out is only continued (--resume), never overwritten, and only by a run that builds the same supernet
    /// (a few-shot run must not replace a one-shot checkpoint).
    /// </summary>
    private static void CheckExistingOutput(string path, Supernet supernet, bool resume)
    {
        if (!File.Exists(path)) return;
        if (!resume)
            throw new IOException($"{path} exists; add --resume to continue that run, or delete it / choose another --out (it is never overwritten).");
        var saved = new RunConfiguration(SafeTensors.ReadMetadata(path).Where(kv => kv.Key is "space_config" or "k" or "norm" or "few_shot_split"));
        var now = new RunConfiguration(SupernetFile.Describe(supernet).Where(kv => kv.Key is "space_config" or "k" or "norm" or "few_shot_split"));
        saved.EnsureSameAs(now, path);
    }

    /// <summary>K-shot from a trained one-shot supernet: every copy starts from its weights plus noise (a resumed run has its own).</summary>
    private static void StartCopies(Supernet supernet, string path, double noise)
    {
        using var source = SupernetFile.Load(path);
        if (source.Weights.K != 1) throw new InvalidOptionException("--copies-from", $"{path} holds K = {source.Weights.K} copies; give a one-shot (K = 1) checkpoint.");
        if (SpaceCatalog.Describe(source.Space) != SpaceCatalog.Describe(supernet.Space))
            throw new InvalidOptionException("--copies-from", $"{path} is a supernet of '{SpaceCatalog.Describe(source.Space)}', not '{SpaceCatalog.Describe(supernet.Space)}'.");
        supernet.Weights.StartCopiesFrom(source.Weights, noise);
        AnsiConsole.MarkupLine(Markup.Escape($"K-shot copies start from {path} (noise {noise} x each weight's std)"));
    }

    private static string Describe(SupernetProgress p) => p.Warning is { } w ? $"WARNING {w}" :
        $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} acc {p.Accuracy:P1} lr {p.LearningRate:G3} {p.ImagesPerSecond:F0} img/s";
}
