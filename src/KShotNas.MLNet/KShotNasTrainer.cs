using KShotNas.Api;
using KShotNas.Onnx;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace KShotNas.MLNet;

/// <summary>
/// Neural architecture search as an ML.NET multiclass trainer. <see cref="Fit"/> reads the images of an IDataView,
/// trains a weight-sharing supernet, searches it under the hard limits, retrains the found network from scratch,
/// exports it to ONNX (input normalization, softmax and argmax inside the graph) and returns a chain of ML.NET's own
/// transformers around it: Score (class probabilities in the label's key order) and PredictedLabel (a key of the
/// label's type). The chain saves with <c>mlContext.Model.Save</c> and loads without KShotNas.
/// </summary>
public sealed partial class KShotNasTrainer : IEstimator<TransformerChain<ITransformer>>
{
    private readonly IHostEnvironment _env;
    private readonly Options _options;

    /// <summary>Creates the trainer; prefer <c>mlContext.MulticlassClassification.Trainers.KShotNas(...)</c>.</summary>
    // The context's own environment (behind its catalogs) carries MLContext.Log and CancelExecution; the MLContext object
    // itself does not implement ICancelable.
    public KShotNasTrainer(MLContext mlContext, Options options)
        : this(MLContextAccess.EnvironmentOf((mlContext ?? throw new ArgumentNullException(nameof(mlContext))).MulticlassClassification.Trainers), options) { }

    internal KShotNasTrainer(IHostEnvironment env, Options options)
    {
        _env = env ?? throw new ArgumentNullException(nameof(env));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
    }

    /// <summary>What the last <see cref="Fit"/> found (architecture, cost, search, ONNX model); null before.</summary>
    public KShotNasFitResult? LastResult { get; private set; }

    /// <summary>Runs the whole search on <paramref name="input"/> and returns the fitted prediction chain.</summary>
    public TransformerChain<ITransformer> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        o.Validate();
        var layout = InputSchema.Check(input.Schema, o);
        if (o.ValidationData is { } validation) InputSchema.CheckValidation(validation.Schema, layout, o);
        var space = SpaceFor(layout, o);
        CheckArchitecture(space, o);
        // Limits below the space's smallest network are refused now, not after the supernet has trained.
        new SearchConstraints(o.MaxFlops, o.MaxParameters).CheckFeasible(space, nameof(o.MaxFlops), nameof(o.MaxParameters));
        var ml = _env as MLContext ?? new MLContext(o.Seed);
        var host = _env.Register("KShotNas");
        using var channel = host.Start("Fit");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Log(string line) => channel.Info(MessageSensitivity.None, $"KShotNas [{clock.Elapsed.TotalSeconds:F1} s]: {line}");
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(o.CancellationToken);
        // ML.NET signals CancelExecution through its environment; poll it so the trainers' token sees it.
        var canceled = MLContextAccess.CancellationProbe(_env);
        using var watch = new Timer(_ =>
        {
            try { if (canceled()) cancel.Cancel(); }
            catch (ObjectDisposedException) { } // a last tick after Fit returned
        }, null, 0, 100);
        if (canceled()) cancel.Cancel();
        cancel.Token.ThrowIfCancellationRequested();

        using var data = TrainingData.Load(ml, input, layout, o, Log);
        cancel.Token.ThrowIfCancellationRequested();
        if (o.ImageShape is null && ((VectorDataViewType)layout.Features.Type).Dimensions.Length == 1)
            Log($"the {layout.FeatureSize}-value feature vector has no image dimensions: read as {string.Join("x", layout.ImageShape)} images "
                + "(the only square reading with 1 or 3 channels; set Options.ImageShape to override)");
        Log($"space {SpaceCatalog.Describe(space)}; {data.Train.Count:N0} training and {data.Validation.Count:N0} validation images "
            + $"{string.Join("x", layout.ImageShape)}, {layout.Classes} classes{(data.Streaming ? ", streamed" : "")}");
        var pipelineOptions = PipelineOptions(space, o);
        var pipeline = new KShotNasEstimator(pipelineOptions);
        var lastStage = "";
        var lastPercent = -10L;
        var progress = new SyncProgress<NasProgress>(p =>
        {
            o.Progress?.Report(p);
            var percent = p.Total == 0 ? 100 : 100 * p.Done / p.Total;
            // One log line per stage change and per 10 % of a stage.
            if (p.Stage != lastStage || percent >= lastPercent + 10 || p.Done == p.Total)
            {
                lastStage = p.Stage;
                lastPercent = percent;
                Log($"{p.Stage} {p.Done}/{p.Total} {p.Detail}");
            }
        });
        using var model = pipeline.Fit(data.Train, data.Validation, progress, cancel.Token, spentBefore: clock.Elapsed);
        cancel.Token.ThrowIfCancellationRequested();

        var head = new OnnxHead
        {
            InputName = o.FeatureColumnName, FlatInput = true, Mean = data.Normalization.Mean, Std = data.Normalization.Std,
            ProbabilitiesName = o.ScoreColumnName, PredictedIndexName = PredictionChain.IndexColumn,
        };
        var onnx = OnnxExporter.Export(model.Network, head);
        var chain = PredictionChain.Fit(ml, input, onnx, layout, o);
        var profile = space.Profile(model.Architecture);
        if (pipeline.Record.Plan is { } plan)
        {
            plan.Total = clock.Elapsed;
            Log($"time budget: planned {plan.Describe()}; spent "
                + string.Join(", ", pipeline.Record.Durations.Select(x => $"{x.Key} {x.Value.TotalSeconds:F1} s")) + $", total {clock.Elapsed.TotalSeconds:F1} s");
        }
        LastResult = new KShotNasFitResult(SpaceCatalog.Describe(space), model.ArchitectureText, profile.Params, profile.Flops,
            model.SearchReport, pipeline.Record, onnx, data.Normalization.Mean, data.Normalization.Std, layout.ClassNames,
            data.Train.Count, data.Validation.Count, data.Streaming, pipeline.Record.ValidationAccuracy, clock.Elapsed, pipelineOptions);
        Log($"found {model.ArchitectureText} ({profile.Params:N0} params, {profile.Flops:N0} FLOPs), validation accuracy "
            + (pipeline.Record.Refitted ? "not measured (refit on training + validation rows)" : $"{pipeline.Record.ValidationAccuracy:P2}")
            + $", {clock.Elapsed.TotalSeconds:F0} s");
        return chain;
    }

    /// <summary>The columns Fit adds (Score, PredictedLabel); throws as ML.NET does when an input column is missing or of the wrong type.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var (label, _) = InputSchema.Check(inputSchema, _options);
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[_options.ScoreColumnName] = MLContextAccess.Column(_options.ScoreColumnName, SchemaShape.Column.VectorKind.Vector,
            NumberDataViewType.Single, isKey: false);
        columns[_options.PredictedLabelColumnName] = MLContextAccess.Column(_options.PredictedLabelColumnName, SchemaShape.Column.VectorKind.VariableVector,
            label.ItemType, isKey: true, label.Annotations);
        return new SchemaShape(columns.Values);
    }

    private static SearchSpace SpaceFor(ColumnLayout layout, Options o)
    {
        var (c, h, _) = (layout.ImageShape[0], layout.ImageShape[1], layout.ImageShape[2]);
        var descriptor = o.Space ?? $"nb201:C=8,N=1,in={c},size={h},classes={layout.Classes}";
        var space = SpaceCatalog.Create(descriptor);
        var (sc, sh, sw, classes) = space.InputShape;
        if (sc != c || sh != layout.ImageShape[1] || sw != layout.ImageShape[2] || classes != layout.Classes)
            throw new ArgumentException($"Space '{descriptor}' takes {sc}x{sh}x{sw} images and {classes} classes; the data has "
                                        + $"{string.Join("x", layout.ImageShape)} images and {layout.Classes} classes.", nameof(o));
        return space;
    }

    // A fixed architecture must parse and respect the hard limits; checked before any data is read.
    private static void CheckArchitecture(SearchSpace space, Options o)
    {
        if (o.Architecture is not { } text) return;
        Architecture a;
        try { a = space.Parse(text); }
        catch (ArchitectureFormatException e)
        {
            throw new ArgumentException($"Architecture '{text}' is not an architecture of space '{SpaceCatalog.Describe(space)}': {e.Message}", nameof(o), e);
        }
        var profile = space.Profile(a);
        if (o.MaxFlops is { } f && profile.Flops > f)
            throw new ArgumentException($"Architecture '{text}' has {profile.Flops:N0} FLOPs, over MaxFlops {f:N0}.", nameof(o));
        if (o.MaxParameters is { } n && profile.Params > n)
            throw new ArgumentException($"Architecture '{text}' has {profile.Params:N0} parameters, over MaxParameters {n:N0}.", nameof(o));
    }

    private static KShotNasOptions PipelineOptions(SearchSpace space, Options o) => new()
    {
        Space = SpaceCatalog.Describe(space), Architecture = o.Architecture, K = o.K, Strategy = o.SearchStrategy, SearchBudget = o.SearchBudget ?? 200,
        Refit = o.Refit,
        // A stage whose count the user set keeps it; the budget plans the others.
        TimeBudget = o.TimeBudget is { } budget
            ? new TimeBudgetOptions
            {
                Budget = budget, Shares = o.TimeBudgetShares ?? TimeBudgetShares.Default, PlanSupernet = o.SupernetEpochs is null, PlanSearch = o.SearchBudget is null,
                PlanRetrain = o.RetrainEpochs is null && o.RetrainSteps is null,
            }
            : null,
        Constraints = new SearchConstraints(o.MaxFlops, o.MaxParameters), ScoringImages = o.ScoringImages, Threads = o.Threads, Seed = (ulong)o.Seed,
        Supernet = new SupernetTrainerOptions
        {
            Sampling = o.SupernetMethod, Calr = o.Calr, MomentumSeparation = o.MomentumSeparation, Epochs = o.SupernetEpochs ?? 5,
            BatchSize = o.BatchSize, LearningRate = o.SupernetLearningRate,
            KShot = new KShot.KShotOptions { WarmupEpochs = o.KShotWarmupEpochs, SimplexPaths = o.SimplexPaths, SimplexGroupSize = o.SimplexGroupSize },
        },
        Retrain = new ClassifierTrainerOptions
        {
            Recipe = o.RetrainRecipe, Epochs = o.RetrainEpochs ?? 5, Steps = o.RetrainSteps, BatchSize = o.BatchSize, Seed = o.Seed,
            MinimumSteps = o.RetrainEpochs is null ? Options.DefaultMinimumRetrainSteps : 0, Augmentation = o.RetrainAugmentation,
        },
    };
}
