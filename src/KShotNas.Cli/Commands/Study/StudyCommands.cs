using System.CommandLine;
using System.Diagnostics;
using KShotNas.Data;
using KShotNas.Deployment;
using KShotNas.Ranking;
using KShotNas.Spaces;
using KShotNas.Study;
using KShotNas.Torch;
using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands.Study;

/// <summary>The ranking study: `study select`, `study reference` (resumable), `study summary`, `study report`.</summary>
internal static class StudyCommands
{
    public static Command Select()
    {
        var space = new Option<string>("--space") { Description = "Space descriptor.", DefaultValueFactory = _ => "nb201:fashion-small" };
        var count = new Option<int>("--count") { Description = "Architectures to select.", DefaultValueFactory = _ => 60 };
        var seed = new Option<int>("--seed") { Description = "Seed of the selection.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "File to write, one architecture per line.", Required = true };
        var command = new Command("select", "Select reference architectures spread over the complexity range (NB201: disconnected cells excluded).")
        {
            space, count, seed, output,
        };
        command.SetAction(p =>
        {
            var s = SpaceCatalog.Create(p.GetValue(space)!);
            var archs = ReferenceSet.SelectStratified(s, p.GetValue(count), p.GetValue(seed), s is Nb201Space ? ReferenceSet.IsDisconnected : null);
            File.WriteAllLines(p.GetValue(output)!, archs.Select(s.Format));
            AnsiConsole.WriteLine($"{archs.Count} architectures, complexity {archs.Min(a => s.Profile(a).Complexity):N0} .. {archs.Max(a => s.Profile(a).Complexity):N0} -> {p.GetValue(output)}");
            return 0;
        });
        return command;
    }

    public static Command Reference()
    {
        var space = new Option<string>("--space") { Description = "Space descriptor.", DefaultValueFactory = _ => "nb201:fashion-small" };
        var archs = new Option<string>("--archs") { Description = "Architectures, one per line (from `study select`).", Required = true };
        var seeds = new Option<int[]>("--seeds") { Description = "Training seeds per architecture.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [0, 1] };
        var epochs = new Option<int>("--epochs") { Description = "Epochs of the fixed recipe (cosine SGD).", DefaultValueFactory = _ => 3 };
        var images = new Option<int?>("--train-images") { Description = "Training images (default all 60,000)." };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string>("--out") { Description = "Runs CSV; existing (arch, seed) rows are skipped, so a cut-off study resumes.", Required = true };
        var command = new Command("reference", "Train every (architecture, seed) from scratch and append its test accuracy to a CSV.")
        {
            space, archs, seeds, epochs, images, threads, output,
        };
        command.SetAction((p, ct) =>
        {
            Reliability.OptionChecks.AtLeast("--epochs", p.GetValue(epochs), 1);
            CliChecks.AtLeast("--train-images", p.GetValue(images), 1);
            var s = SpaceCatalog.Create(p.GetValue(space)!);
            var archPath = Reliability.OptionChecks.ExistingFile("--archs", p.GetValue(archs));
            var list = File.ReadLines(archPath).Select(l => l.Trim()).Where(l => l.Length > 0).Select(s.Parse).ToList();
            if (list.Count == 0) throw new Reliability.InvalidOptionException("--archs", $"{archPath} lists no architecture.");
            var path = Reliability.OptionChecks.WritableFile("--out", p.GetValue(output));
            using var runLock = Reliability.RunLock.Acquire(path, isFolder: false);
            CliChecks.TorchThreads(p.GetValue(threads));
            var existing = ReferenceSet.ReadRuns(path);
            var done = existing.Select(r => (r.Arch, r.Seed)).ToHashSet();
            var source = CliData.Source(p, s);
            using var all = source.Load(DataSplit.Train);
            CliData.CheckSpace(s, all, source);
            using var subset = p.GetValue(images) is { } n ? all.Subset(n, 0) : null;
            using var test = source.Load(DataSplit.Test);
            var train = subset ?? all;
            ReferenceSet.CheckOneRecipe(existing, p.GetValue(epochs), train.Count);
            var todo = list.SelectMany(a => p.GetValue(seeds)!.Select(seed => (Arch: a, Seed: seed))).Where(x => !done.Contains((s.Format(x.Arch), x.Seed))).ToList();
            AnsiConsole.WriteLine($"{todo.Count} runs to do ({done.Count} already in {path}); {p.GetValue(epochs)} epochs on {train.Count:N0} images each");
            foreach (var (arch, seed) in todo)
            {
                ct.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                TorchRuntime.ManualSeed((ulong)seed);
                using var net = new StandaloneNetwork(s, arch);
                var result = new ClassifierTrainer(new ClassifierTrainerOptions { Epochs = p.GetValue(epochs), Seed = seed }).Fit(net, train, test, cancellationToken: ct);
                ReferenceSet.AppendRun(path, new ReferenceRun(s.Format(arch), seed, result.TestAccuracy, p.GetValue(epochs), train.Count, clock.Elapsed.TotalSeconds));
                AnsiConsole.WriteLine($"{s.Format(arch)} seed {seed}: {result.TestAccuracy:P2} ({clock.Elapsed.TotalSeconds:F0} s)");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    public static Command Summary()
    {
        var runs = new Option<string>("--runs") { Description = "Runs CSV from `study reference`.", Required = true };
        var output = new Option<string>("--out") { Description = "Reference CSV to write (arch,accuracy: mean over seeds).", Required = true };
        var command = new Command("summary", "Average the reference runs per architecture and report the seed-to-seed Kendall tau.") { runs, output };
        command.SetAction(p =>
        {
            var (means, tau, paired) = ReferenceSet.Summarize(ReferenceSet.ReadRuns(p.GetValue(runs)!));
            ScoreTable.Write(p.GetValue(output)!, "accuracy", means);
            AnsiConsole.WriteLine($"{means.Count} architectures; seed-to-seed Kendall tau-b {tau:F3} over {paired} with two seeds -> {p.GetValue(output)}");
            return 0;
        });
        return command;
    }

    public static Command Report()
    {
        var reference = new Option<string>("--reference") { Description = "Reference CSV from `study summary` (arch,accuracy).", Required = true };
        var runs = new Option<string>("--runs") { Description = "Runs CSV from `study reference` (for the seed-to-seed ceiling).", Required = true };
        var scores = new Option<string>("--scores") { Description = "Folder of <method>-s<seed>.csv score files from `supernet-score`.", Required = true };
        var costs = new Option<string?>("--costs") { Description = "Cost log method,seed,phase,seconds,peak_rss_mib (scripts/study.sh)." };
        var space = new Option<string>("--space") { Description = "Space descriptor (complexity for CB and rho_cc).", DefaultValueFactory = _ => "nb201:fashion-small" };
        var output = new Option<string>("--out") { Description = "Markdown table to write.", Required = true };
        var images = new Option<string>("--images") { Description = "Folder for the SVG pictures.", Required = true };
        var maxFlops = new Option<long?>("--max-flops") { Description = "Also report, per supernet, the reference cell it would pick under this FLOPs budget." };
        var command = new Command("report", "Ranking metrics of every scored supernet against the reference: Markdown table (mean and sd over seeds) and SVG pictures.")
        {
            reference, runs, scores, costs, space, output, images, maxFlops,
        };
        command.SetAction(p =>
        {
            CliChecks.AtLeast("--max-flops", p.GetValue(maxFlops), 1);
            var studySpace = SpaceCatalog.Create(p.GetValue(space)!);
            new KShotNas.Search.SearchConstraints(p.GetValue(maxFlops)).CheckFeasible(studySpace, "--max-flops");
            var results = StudyResults.Load(studySpace, p.GetValue(reference)!, p.GetValue(runs)!, p.GetValue(scores)!, p.GetValue(costs),
                p.GetValue(maxFlops));
            StudyReport.Write(results, p.GetValue(output)!, p.GetValue(images)!);
            AnsiConsole.WriteLine($"{results.Runs.Count} supernets, reference ceiling tau-b {results.ReferenceCeiling.KendallTauB:F3} -> {p.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
