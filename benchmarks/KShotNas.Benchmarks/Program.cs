using KShotNas.Benchmarks;

// Usage: KShotNas.Benchmarks mlnet [see MlNetComparison] | cnn|supernet|scoring|batchnorm|kshot|inference|streaming|allreduce [--threads N] [--paths P] [--only NAME|...] [--batch B] [--steps S] [--warmup W] [--rounds R]
if (args.Length > 0 && args[0] == "mlnet") return MlNetComparison.Run(args); // its own options (see the class)
var options = BenchmarkOptions.Parse(args);
return options.Mode switch
{
    "cnn" => CnnBenchmark.Run(options),
    "supernet" => SupernetBenchmark.Run(options),
    "kshot" => KShotBenchmark.Run(options),
    "scoring" => ScoringBenchmark.Run(options),
    "batchnorm" => BatchNormBenchmark.Run(options),
    "probe" => ProbeBenchmark.Run(options),
    "retrain-probe" => RetrainProbeBenchmark.Run(options),
    "inference" => InferenceBenchmark.Run(options),
    "streaming" => StreamingBenchmark.Run(options),
    "allreduce" => AllReduceBenchmark.Run(options), // under `kshotnas launch --nproc N --`
    _ => Fail($"unknown benchmark '{options.Mode}' (known: cnn, supernet, scoring, batchnorm, probe, retrain-probe, kshot, inference, streaming, allreduce)"),
};

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}
