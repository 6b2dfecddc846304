using System.Diagnostics;
using System.Globalization;
using KShotNas.Data;
using KShotNas.MLNet;
using KShotNas.Spaces;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.Benchmarks;

/// <summary>
/// KShotNas against what ML.NET already offers, as a user meets it: one program, the same IDataView rows for every
/// contender (the first N Fashion-MNIST training images as a plain 784-float vector without image dimensions, raw
/// 0-255 pixels), tested on the 10,000 test images. Contenders: LbfgsMaximumEntropy and SdcaMaximumEntropy after
/// NormalizeMinMax, LightGbm, the fixed network a person would pick under the FLOPs limit (NAS-Bench-201's ResNet
/// cell) trained for the whole time budget, and KShotNas with the time budget. ML.NET's trainers take no
/// time budget: they run once per row count and their fit time is reported beside the budget. Each finished cell is
/// appended to the CSV at once, and a rerun skips the cells already there (a long grid resumes).
/// The contender "search" is KShotNas made to search at any budget (MinimumSupernetSteps 0), to measure what the
/// search's pick gains or loses against the prior pick the default retrains under short budgets.
/// Usage: mlnet [--rows 1000,6000,60000] [--budgets 60,300,900] [--contenders lbfgs,sdca,lightgbm,fixed,kshotnas,search]
/// [--max-flops 3000000] [--threads N] [--shares SUPERNET,SEARCH,RETRAIN] [--seed S] [--fixed-arch CELL] [--out docs/benchmarks/mlnet.csv]
/// <c>--fixed-arch</c> trains another cell as the contender "fixed" (to ask whether any cell under the limit beats the
/// ResNet cell); <c>--seed</c> sets the recipe's seed of the KShotNas contenders (default 0).
/// </summary>
public static class MlNetComparison
{
    private const string Header = "contender,rows,budget_s,fit_s,test_accuracy,detail";

    public static int Run(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        int[] Ints(string name, string fallback) => Arg(name, fallback).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var rowCounts = Ints("--rows", "1000,6000,60000");
        var budgets = Ints("--budgets", "60,300,900");
        var contenders = Arg("--contenders", "lbfgs,sdca,lightgbm,fixed,kshotnas").Split(',');
        var maxFlops = long.Parse(Arg("--max-flops", "3000000"), CultureInfo.InvariantCulture);
        var threads = int.Parse(Arg("--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var csv = Arg("--out", "docs/benchmarks/mlnet.csv");
        var seed = int.Parse(Arg("--seed", "0"), CultureInfo.InvariantCulture);
        var sharesArg = Arg("--shares", "");
        var shares = sharesArg.Length == 0 ? null : sharesArg.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray() is var v3
            ? new Api.TimeBudgetShares(v3[0], v3[1], v3[2]) : null;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(csv))!);
        if (!File.Exists(csv)) File.WriteAllText(csv, Header + "\n");
        var done = File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).Select(f => (f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture))).ToHashSet();

        var ml = new MLContext(0);
        ml.Log += (_, e) => { if (e.Message.Contains("KShotNas [", StringComparison.Ordinal)) Console.WriteLine($"  {e.Message}"); };
        var test = Rows(ml, DataSplit.Test, null);
        var personsCell = PersonsCell(maxFlops);
        var fixedCell = Arg("--fixed-arch", "") is { Length: > 0 } given ? given : personsCell;
        Console.WriteLine($"fixed network: {fixedCell} ({(fixedCell == personsCell ? "NAS-Bench-201's ResNet cell, its costliest variant" : "given by --fixed-arch")} under {maxFlops:N0} FLOPs); {threads} threads, seed {seed}");
        foreach (var rows in rowCounts)
        {
            var train = Rows(ml, DataSplit.Train, rows);
            foreach (var contender in contenders)
            {
                // ML.NET's trainers have no time budget: one cell per row count, recorded with budget 0.
                var timed = contender is "fixed" or "kshotnas" or "search";
                foreach (var budget in timed ? budgets : [0])
                {
                    if (done.Contains((contender, rows, budget))) continue;
                    var (fit, accuracy, detail) = Measure(ml, contender, train, test, budget, maxFlops, fixedCell, threads, shares, seed);
                    var line = string.Create(CultureInfo.InvariantCulture, $"{contender},{rows},{budget},{fit:F1},{accuracy:F4},{detail}");
                    File.AppendAllText(csv, line + "\n");
                    Console.WriteLine(line);
                }
            }
        }
        return 0;
    }

    private static (double Fit, double Accuracy, string Detail) Measure(MLContext ml, string contender, IDataView train, IDataView test, int budget,
        long maxFlops, string fixedCell, int threads, Api.TimeBudgetShares? shares, int seed)
    {
        var key = ml.Transforms.Conversion.MapValueToKey("Label");
        KShotNasTrainer? nas = null;
        IEstimator<ITransformer> pipeline = contender switch
        {
            "lbfgs" => key.Append(ml.Transforms.NormalizeMinMax("Features")).Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()),
            "sdca" => key.Append(ml.Transforms.NormalizeMinMax("Features")).Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
            "lightgbm" => key.Append(ml.MulticlassClassification.Trainers.LightGbm()),
            "fixed" or "kshotnas" or "search" => key.Append(nas = ml.MulticlassClassification.Trainers.KShotNas(new KShotNasTrainer.Options
            {
                Recipe =
                {
                    TimeBudget = TimeSpan.FromSeconds(budget), MaxFlops = maxFlops, Threads = threads,
                    Architecture = contender == "fixed" ? fixedCell : null, TimeBudgetShares = shares,
                    MinimumSupernetSteps = contender == "search" ? 0 : null, Seed = seed,
                },
            })),
            _ => throw new ArgumentException($"unknown contender '{contender}' (known: lbfgs, sdca, lightgbm, fixed, kshotnas, search)"),
        };
        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(train);
        var fit = clock.Elapsed.TotalSeconds;
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        var detail = nas?.LastResult is { } r
            ? $"{r.Architecture.Replace(',', ';')} {r.Flops} FLOPs; augmentation {r.Record.RetrainAugmentation}; {r.Record.Plan?.Describe().Replace(',', ';')}"
            : "";
        return (fit, accuracy, detail);
    }

    // What a person would pick in the default space (28x28 grey images, 10 classes): NAS-Bench-201's ResNet cell (two
    // 3x3 convolutions and a skip), else the same with 1x1 convolutions, whichever fits the limit.
    private static string PersonsCell(long maxFlops)
    {
        var space = SpaceCatalog.Create("nb201:C=8,N=1,in=1,size=28,classes=10");
        string[] cells =
        [
            "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|", // node 3 = x + conv(conv(x))
            "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
            "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
        ];
        return cells.FirstOrDefault(c => space.Profile(space.Parse(c)).Flops <= maxFlops)
               ?? throw new ArgumentException($"No ResNet-style cell fits {maxFlops:N0} FLOPs.");
    }

    private sealed class Row
    {
        [VectorType(784)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    // Pixels as most ML.NET image tutorials load them: one plain vector per row, no image dimensions.
    private static IDataView Rows(MLContext ml, DataSplit split, int? count)
    {
        using var data = FashionMnist.Load(split, normalize: false);
        var n = Math.Min(count ?? data.Count, data.Count);
        var pixels = data.Images.ToArray<float>();
        var labels = data.Labels.ToArray<long>();
        var rows = Enumerable.Range(0, n).Select(i => new Row
        {
            Features = pixels.AsSpan(i * 784, 784).ToArray().Select(v => v * 255f).ToArray(), Label = FashionMnist.ClassNames[(int)labels[i]],
        }).ToList();
        return ml.Data.LoadFromEnumerable(rows);
    }
}
