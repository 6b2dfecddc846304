using System.Diagnostics;
using KShotNas.Data;
using KShotNas.MLNet;
using KShotNas.Models;
using KShotNas.Ranking;
using KShotNas.Torch;
using KShotNas.Training;
using Microsoft.ML;

namespace KShotNas.Benchmarks;

/// <summary>
/// The ML.NET trainer's two data paths on the same Fashion-MNIST rows: tensors copied into memory once against
/// batches streamed through an IDataView cursor with pool shuffling, alternating rounds. Measures the loader alone
/// (images/s) and a SmallCnn training epoch fed by each path.
/// </summary>
public static class StreamingBenchmark
{
    public static int Run(BenchmarkOptions o)
    {
        TorchRuntime.Threads = o.Threads;
        var ml = new MLContext(0);
        var rows = o.Steps * o.Batch;
        var raw = ImageData.FromIdx(ml, null, DataSplit.Train, rows);
        var view = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var options = new KShotNasTrainer.Options { ImageShape = [1, 28, 28] };
        var layout = InputSchema.Check(view.Schema, options);
        Console.WriteLine($"{rows:N0} Fashion-MNIST rows, batch {o.Batch}, {o.Threads} threads, {o.Rounds} rounds (shuffle pool 10,000)");
        Console.WriteLine("round  memory load img/s  stream load img/s  memory train img/s  stream train img/s");
        var results = new List<double[]>();
        for (var r = 0; r < o.Rounds; r++)
        {
            var (memory, statistics, _) = RowReader.ReadAll(view, layout, "training");
            using (memory)
            {
                var stream = new StreamingImageBatches(ml, view, layout, rows, statistics, 10_000);
                var result = new[] { Load(memory, o.Batch, r), Load(stream, o.Batch, r), Train(memory, o.Batch, r), Train(stream, o.Batch, r) };
                results.Add(result);
                Console.WriteLine($"{r + 1,5}  {result[0],17:F0}  {result[1],17:F0}  {result[2],18:F0}  {result[3],18:F0}");
            }
        }
        double Median(int i) => Metrics.Median(results.Select(x => x[i]).ToList());
        Console.WriteLine($"median loader: memory {Median(0):F0} img/s, stream {Median(1):F0} img/s, ratio (stream / memory) = {Median(1) / Median(0):F3}");
        Console.WriteLine($"median training epoch: memory {Median(2):F0} img/s, stream {Median(3):F0} img/s, ratio (stream / memory) = {Median(3) / Median(2):F3}");
        return 0;
    }

    private static double Load(IImageBatches data, int batch, int seed)
    {
        var clock = Stopwatch.StartNew();
        long images = 0;
        foreach (var (x, y) in data.Batches(batch, shuffleSeed: seed))
        {
            images += y.Size(0);
            x.Dispose();
            y.Dispose();
        }
        return images / clock.Elapsed.TotalSeconds;
    }

    private static double Train(IImageBatches data, int batch, int seed)
    {
        TorchRuntime.ManualSeed((ulong)seed);
        using var model = new SmallCnn();
        var trainer = new ClassifierTrainer(new ClassifierTrainerOptions { Epochs = 1, BatchSize = batch, Seed = seed, ReportEvery = int.MaxValue });
        var clock = Stopwatch.StartNew();
        using var empty = new ImageDataset(Tensor.Zeros([1, 1, 28, 28]), Tensor.Zeros([1], DType.Int64), data.Classes);
        trainer.Fit(model, data, empty);
        return data.Count / clock.Elapsed.TotalSeconds;
    }
}
