using System.Diagnostics;
using KShotNas.Data;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;

namespace KShotNas.Training;

/// <summary>Training recipes for (re)training a network from scratch.</summary>
public enum TrainingRecipe
{
    /// <summary>SGD with (Nesterov) momentum and a cosine schedule to zero.</summary>
    CosineSgd,
    /// <summary>
    /// The seeds' ImageNet recipe: RMSProp (TensorFlow epsilon placement, alpha 0.9, momentum 0.9), linear warm-up,
    /// step decay (x0.97 every 2.4 epochs) and an exponential moving average of the weights, which the trained
    /// network keeps at the end.
    /// </summary>
    RmsPropEma,
}

/// <summary>Options of <see cref="ClassifierTrainer"/> (defaults: a short cosine SGD run).</summary>
public sealed class ClassifierTrainerOptions
{
    /// <summary>The recipe; <see cref="TrainingRecipe.RmsPropEma"/> uses the RMSProp settings below.</summary>
    public TrainingRecipe Recipe { get; set; } = TrainingRecipe.CosineSgd;
    /// <summary>RMSProp recipe: initial learning rate (the seeds' 0.016 per 256 images, scaled to batch 64).</summary>
    public double RmsPropLearningRate { get; set; } = 0.004;
    /// <summary>RMSProp recipe: warm-up length in epochs (linear from 0).</summary>
    public double WarmupEpochs { get; set; } = 0.5;
    /// <summary>RMSProp recipe: decay of the weight average per step.</summary>
    public double EmaDecay { get; set; } = 0.999;
    /// <summary>Passes over the training data (ignored when <see cref="Steps"/> is set).</summary>
    public int Epochs { get; set; } = 3;
    /// <summary>
    /// Total optimizer steps instead of whole epochs (null: <see cref="Epochs"/> passes). Small data needs a step count,
    /// not an epoch count: 1 epoch of 4,800 images is 75 steps, far too few for any network.
    /// </summary>
    public long? Steps { get; set; }
    /// <summary>
    /// Train for this wall time instead of a step count (null: steps or epochs). The schedule advances with the share of
    /// the time used (over the step count as its scale) and training stops when the time is up: for time-budgeted fits.
    /// </summary>
    public TimeSpan? TimeLimit { get; set; }
    /// <summary>The fewest steps an epoch-counted run takes (it runs more epochs on small data); ignored when <see cref="Steps"/> is set.</summary>
    public long MinimumSteps { get; set; }
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; set; } = 64;
    /// <summary>Initial learning rate (cosine-annealed to 0 over all steps).</summary>
    public double LearningRate { get; set; } = 0.02;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; set; } = 0.9;
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; set; } = true;
    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; set; } = 5e-4;
    /// <summary>Label smoothing of the cross-entropy.</summary>
    public double LabelSmoothing { get; set; }
    /// <summary>Clip gradients to this global norm (null: no clipping).</summary>
    public double? GradientClipNorm { get; set; }
    /// <summary>Seed of the data order (initialization is seeded by the caller through <see cref="TorchRuntime.ManualSeed"/>).</summary>
    public int Seed { get; set; }
    /// <summary>Report progress every this many steps.</summary>
    public int ReportEvery { get; set; } = 50;
    /// <summary>Random changes to each training batch (default none).</summary>
    public Augmentation Augmentation { get; set; }

    /// <summary>The steps a run on <paramref name="train"/> takes: <see cref="Steps"/>, else the epochs' steps and at least <see cref="MinimumSteps"/>.</summary>
    public long TotalSteps(IImageBatches train) => Steps ?? Math.Max((long)train.BatchCount(BatchSize) * Epochs, MinimumSteps);

    /// <summary>A copy (the planner changes step counts on copies).</summary>
    public ClassifierTrainerOptions Clone() => (ClassifierTrainerOptions)MemberwiseClone();
}

/// <summary>A progress report of a training run.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double Accuracy,
    double LearningRate, double ImagesPerSecond);

/// <summary>The outcome of a training run.</summary>
public sealed record TrainingResult(double FinalTrainLoss, double TestAccuracy, TimeSpan Duration, long Steps);

/// <summary>Trains a classifier with a recipe (cosine SGD, or RMSProp with warm-up, step decay and EMA) and evaluates it; reports progress and honours cancellation.</summary>
public sealed class ClassifierTrainer
{
    /// <summary>Creates a trainer.</summary>
    public ClassifierTrainer(ClassifierTrainerOptions? options = null) => Options = options ?? new ClassifierTrainerOptions();

    /// <summary>The options.</summary>
    public ClassifierTrainerOptions Options { get; }

    /// <summary>Trains <paramref name="model"/> on <paramref name="train"/> and measures accuracy on <paramref name="test"/> (NaN without one).</summary>
    public TrainingResult Fit(Module model, IImageBatches train, IImageBatches? test, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var o = Options;
        var stepsPerEpoch = train.BatchCount(o.BatchSize);
        if (stepsPerEpoch == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        var total = o.TotalSteps(train);
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(Options), total, "Training needs at least one step.");
        var limit = o.TimeLimit;
        var epochs = (int)((total + stepsPerEpoch - 1) / stepsPerEpoch); // a timed run's estimate, for progress only
        var parameters = new ParameterList(model.Parameters());
        using var optimizer = new Optimizer(o, parameters, stepsPerEpoch, total);
        var clock = Stopwatch.StartNew();
        var window = Stopwatch.StartNew();
        long step = 0, windowImages = 0;
        double loss = double.NaN, lossSum = 0, accSum = 0;
        int windowSteps = 0;
        model.Train();
        var augmentRng = new Random(o.Seed);
        bool Done() => limit is { } l ? clock.Elapsed >= l : step >= total;
        // Read once a step, after it: the last report and the stop must agree that the time is up.
        var done = Done();
        for (var epoch = 0; (limit is not null || epoch < epochs) && !done; epoch++)
        {
            foreach (var (x, y) in train.Batches(o.BatchSize, o.Seed + epoch))
            {
                if (done)
                {
                    // The last epoch stops part-way.
                    x.Dispose();
                    y.Dispose();
                    break;
                }
                using var batchImages = x;
                using var batchLabels = y;
                cancellationToken.ThrowIfCancellationRequested();
                var lr = optimizer.Schedule.At(limit is { } t ? (long)(Math.Min(1.0, clock.Elapsed / t) * (total - 1)) : step);
                using var inputs = TensorScope.Begin();
                var (l, acc) = TrainStep(model, optimizer, parameters, BatchAugmentation.Apply(x, o.Augmentation, augmentRng), y, lr, step);
                lossSum += l; accSum += acc; windowSteps++; windowImages += y.Size(0);
                step++;
                done = Done();
                if (step % o.ReportEvery == 0 || (limit is null ? step == total : done))
                {
                    loss = lossSum / windowSteps;
                    progress?.Report(new TrainingProgress(epoch + 1, epochs, step, TimedProgress.Total(step, 0, total, limit, clock.Elapsed), loss,
                        accSum / windowSteps, lr, windowImages / Math.Max(1e-9, window.Elapsed.TotalSeconds)));
                    lossSum = accSum = 0; windowSteps = 0; windowImages = 0; window.Restart();
                }
            }
        }
        optimizer.Finish(); // the RMSProp recipe keeps the averaged weights
        var testAccuracy = test is null ? double.NaN : Evaluate(model, test);
        return new TrainingResult(loss, testAccuracy, clock.Elapsed, step);
    }

    private (double Loss, double Accuracy) TrainStep(Module model, Optimizer optimizer, ParameterList parameters, Tensor x, Tensor y, double lr,
        long step)
    {
        using var scope = TensorScope.Begin();
        var logits = model.Forward(x);
        var loss = Functional.CrossEntropy(logits, y, Options.LabelSmoothing);
        var value = loss.ToDouble();
        // A non-finite loss or gradient stops the run before the update spreads it into every weight.
        if (!double.IsFinite(value)) throw new Reliability.DivergenceException(step + 1, $"the loss is {value}", null, 0);
        Gradients.ZeroGrad(parameters);
        loss.Backward();
        var norm = Gradients.ClipByGlobalNorm(parameters, Options.GradientClipNorm ?? double.MaxValue);
        if (!double.IsFinite(norm)) throw new Reliability.DivergenceException(step + 1, $"the gradient norm is {norm}", null, 0);
        optimizer.Step(lr);
        return (value, Functional.Accuracy(logits, y));
    }

    /// <summary>The recipe's optimizer, schedule and weight average behind one step call.</summary>
    private sealed class Optimizer : IDisposable
    {
        private readonly ParameterList _parameters;
        private readonly Sgd? _sgd;
        private readonly RmsProp? _rms;
        private readonly ExponentialMovingAverage? _ema;

        public Optimizer(ClassifierTrainerOptions o, ParameterList parameters, int stepsPerEpoch, long total)
        {
            _parameters = parameters;
            if (o.Recipe == TrainingRecipe.CosineSgd)
            {
                _sgd = new Sgd(parameters.Tensors, new SgdOptions { Momentum = o.Momentum, Nesterov = o.Nesterov && o.Momentum > 0, WeightDecay = o.WeightDecay });
                Schedule = new CosineSchedule(o.LearningRate, total);
                return;
            }
            _rms = new RmsProp(parameters.Tensors, new RmsPropOptions
            {
                Alpha = 0.9, Eps = 1e-3, EpsInsideSqrt = true, Momentum = 0.9, WeightDecay = 1e-5,
            });
            Schedule = new WarmupSchedule(new StepSchedule(o.RmsPropLearningRate, (long)Math.Max(1, 2.4 * stepsPerEpoch), 0.97),
                (long)(o.WarmupEpochs * stepsPerEpoch));
            _ema = new ExponentialMovingAverage(parameters.Tensors, o.EmaDecay, warmupDecay: true);
        }

        public ILearningRateSchedule Schedule { get; }

        public void Step(double lr)
        {
            if (_sgd is not null) _sgd.Step(lr);
            else
            {
                _rms!.Step(lr);
                _ema!.Update();
            }
        }

        /// <summary>Copies the weight average into the network (RMSProp recipe).</summary>
        public void Finish()
        {
            if (_ema is null) return;
            using var noGrad = NoGradScope.Begin();
            for (var i = 0; i < _parameters.Count; i++) _parameters.Tensors[i].CopyFrom(_ema.Averages[i]);
        }

        public void Dispose()
        {
            _sgd?.Dispose();
            _rms?.Dispose();
            _ema?.Dispose();
        }
    }

    /// <summary>Top-1 accuracy of <paramref name="model"/> (eval mode, no autograd) on <paramref name="data"/>.</summary>
    public static double Evaluate(Module model, IImageBatches data, int batchSize = 1000)
    {
        var wasTraining = model.IsTraining;
        model.Eval();
        using var noGrad = NoGradScope.Begin();
        long correct = 0;
        foreach (var (x, y) in data.Batches(batchSize))
        {
            using var scope = TensorScope.Begin();
            using var batchImages = x;
            using var batchLabels = y;
            correct += model.Forward(x).ArgMax(1).Eq(y).Sum().ToInt64();
        }
        model.Train(wasTraining);
        return (double)correct / data.Count;
    }
}
