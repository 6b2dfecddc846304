using KShotNas.Data;
using System.CommandLine;
using KShotNas.Distributed;
using KShotNas.Evaluation;
using KShotNas.Ranking;
using KShotNas.Reliability;
using KShotNas.Spaces;
using KShotNas.Supernets;
using KShotNas.Torch;
using KShotNas.Training;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>`kshotnas supernet-score`: accuracy of many architectures with a checkpoint's shared weights, as arch,score CSV.</summary>
internal static class SupernetScoreCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Supernet file or training checkpoint.", Required = true };
        var archs = new Option<string?>("--archs") { Description = "File with one architecture per line (the space's string form)." };
        var all = new Option<bool>("--all") { Description = "Score every architecture of the space (NB201: 15,625)." };
        var sample = new Option<int?>("--sample") { Description = "Score this many uniformly sampled architectures." };
        var output = new Option<string>("--out") { Description = "CSV to write (arch,score).", Required = true };
        var images = new Option<int>("--rank-images") { Description = "Ranking-half images to evaluate on.", DefaultValueFactory = _ => 2048 };
        var batch = new Option<int>("--eval-batch") { Description = "Evaluation batch size.", DefaultValueFactory = _ => 2048 };
        var chunk = new Option<int>("--eval-chunk")
        {
            Description = "Compute each evaluation batch in chunks of this many images, batch statistics still over the whole batch "
                          + "(0: one forward per batch; same scores; chunks are slower, at two threads 2.1x, and hold more at the peak: 496 against 343 MiB of tensors).",
            DefaultValueFactory = _ => 0,
        };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount, Description = "libtorch threads." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "Seed of --sample." };
        var norm = new Option<SupernetNorm?>("--norm")
        {
            Description = "Batch norm at scoring: BatchStatistics (of each evaluation batch) or Recalibrated (running statistics "
                          + "recalibrated per path on 8 x 256 training images); default the checkpoint's own mode.",
        };
        var command = new Command("supernet-score", "Score architectures with a supernet checkpoint on the ranking half of Fashion-MNIST.")
        {
            checkpoint, archs, all, sample, output, images, batch, chunk, threads, seed, norm,
        };
        var distributed = new DistributedOptions(); // each rank scores a slice of the list; rank 0 writes the CSV
        distributed.AddTo(command);
        command.SetAction((p, ct) =>
        {
            OptionChecks.AtLeast("--rank-images", p.GetValue(images), 1);
            OptionChecks.AtLeast("--eval-batch", p.GetValue(batch), 1);
            OptionChecks.AtLeast("--eval-chunk", p.GetValue(chunk), 0);
            CliChecks.AtLeast("--sample", p.GetValue(sample), 1);
            var checkpointPath = OptionChecks.ExistingFile("--checkpoint", p.GetValue(checkpoint));
            var outPath = OptionChecks.WritableFile("--out", p.GetValue(output));
            using var runLock = distributed.LockOutput(p, outPath, isFolder: false);
            CliChecks.TorchThreads(p.GetValue(threads));
            using var supernet = SupernetFile.Load(checkpointPath, p.GetValue(norm));
            var space = supernet.Space;
            var source = CliData.Source(p, space);
            var list = Architectures(space, p.GetValue(archs), p.GetValue(all), p.GetValue(sample), p.GetValue(seed));
            if (list.Count == 0) throw new InvalidOptionException("--archs", $"{p.GetValue(archs)} lists no architecture (one per line; '#' starts a comment).");
            var (train, ranking) = NasData.Split(source.Load(DataSplit.Train), supernet.Norms.Mode == SupernetNorm.Recalibrated ? 4096 : 1, p.GetValue(images));
            CliData.CheckSpace(space, train, source);
            using var group = distributed.Join(p);
            using (train)
            using (ranking)
            {
                var evaluator = new SupernetEvaluator(new SupernetEvaluatorOptions
                {
                    BatchSize = p.GetValue(batch), ChunkSize = p.GetValue(chunk) is > 0 and var c ? c : null,
                });
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var scores = ProgressDisplay.Run<ScoringProgress, double[]>(list.Count, r => r.Done, r => $"scored {r.Done}/{r.Total}",
                    progress => DistributedScoring.Score(evaluator, group, supernet, list, ranking, train, progress, ct));
                if (group is null || group.Rank == 0) ScoreTable.Write(outPath, "score", list.Select((a, i) => (space.Format(a), scores[i])));
                AnsiConsole.MarkupLine($"{list.Count} architectures scored on {ranking.Count} images in {clock.Elapsed.TotalSeconds:F1} s "
                                       + $"({list.Count / clock.Elapsed.TotalSeconds:F1} paths/s); mean {scores.Average():P2}, best {scores.Max():P2}");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static List<Architecture> Architectures(SearchSpace space, string? file, bool all, int? sample, int seed)
    {
        if ((file is not null ? 1 : 0) + (all ? 1 : 0) + (sample is not null ? 1 : 0) != 1)
            throw new ArgumentException("Give exactly one of --archs FILE, --all or --sample N.");
        if (all) return space.Enumerate().ToList();
        if (sample is { } n)
        {
            var rng = new CheckpointableRandom((ulong)seed);
            return Enumerable.Range(0, n).Select(_ => space.Sample(rng)).ToList();
        }
        if (!File.Exists(file)) throw new FileNotFoundException($"Architecture list not found: {file}", file);
        return File.ReadLines(file!).Select((l, i) => (Line: l.Trim(), No: i + 1)).Where(l => l.Line.Length > 0 && !l.Line.StartsWith('#'))
            .Select(l =>
            {
                try { return space.Parse(l.Line.Split(',')[0]); }
                catch (FormatException e) { throw new ArgumentException($"{file}:{l.No}: {e.Message}"); }
            }).ToList();
    }
}
