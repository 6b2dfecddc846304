using KShotNas.Api;
using KShotNas.Onnx;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Torch;
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
        // The space, the limits and a fixed architecture are checked against the data's layout now, before any pixel is read.
        var recipe = o.Recipe.Clone();
        var space = recipe.Space = o.Recipe.SpaceFor(layout.ImageShape.Select(d => (long)d).ToArray(), layout.Classes);
        var ml = _env as MLContext ?? new MLContext(recipe.Seed);
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
        if (TorchRuntime.WaitPolicyNote(recipe.Threads) is { } waitNote) Log(waitNote);
        var pipeline = new NasPipeline(recipe);
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
            data.Train.Count, data.Validation.Count, data.Streaming, pipeline.Record.ValidationAccuracy, clock.Elapsed, recipe);
        Log($"retraining augmentation {pipeline.Record.RetrainAugmentation}" + (recipe.RetrainAugmentation is null
            ? $" (automatic: shift and mirror from {NasRecipe.AugmentationMinimumEpochs} passes over the retraining rows)" : ""));
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
}
