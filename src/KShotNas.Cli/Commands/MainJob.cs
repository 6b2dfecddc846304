using System.Text.Json;
using System.Text.Json.Serialization;
using KShotNas.Api;
using KShotNas.Data;
using KShotNas.MLNet;
using KShotNas.Search;
using KShotNas.Spaces;
using KShotNas.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace KShotNas.Cli.Commands;

/// <summary>
/// The main job's settings in one place, shared by `kshotnas run` and `kshotnas pick-check` (which retrains other cells
/// with exactly the recipe the run used). The defaults are the best measured combination that fits the main job's
/// time (README, docs/study/ranking-budget.md).
/// </summary>
internal sealed record MainJobSettings
{
    /// <summary>Path sampling of the supernet.</summary>
    public PathSampling Method { get; init; } = PathSampling.FairNas;
    /// <summary>K-shot K (1: one-shot).</summary>
    public int K { get; init; } = 1;
    /// <summary>CaLR.</summary>
    public bool Calr { get; init; } = true;
    /// <summary>Momentum separation.</summary>
    public bool MomentumSeparation { get; init; } = true;
    /// <summary>Supernet epochs over the supernet half (null: planned by <see cref="TimeBudgetSeconds"/>).</summary>
    public int? SupernetEpochs { get; init; }
    /// <summary>Images each candidate is scored on (batch statistics of one batch).</summary>
    public int ScoringImages { get; init; } = 2048;
    /// <summary>Candidates the evolutionary search scores (null: as many as the time budget's search share allows).</summary>
    public int? SearchBudget { get; init; }
    /// <summary>Retraining epochs of the pick (null: planned by <see cref="TimeBudgetSeconds"/>).</summary>
    public int? RetrainEpochs { get; init; }
    /// <summary>Retraining steps of the pick: what a time-budgeted run planned (kept so that `pick-check` retrains others alike).</summary>
    public long? RetrainSteps { get; init; }
    /// <summary>
    /// A wall-time budget for the fit in seconds (null: none; the counts above, else 2 supernet epochs, 200 candidates and
    /// 3 retraining epochs). The default keeps the main job under 6 minutes on every 2-core machine, whatever its speed.
    /// </summary>
    public int? TimeBudgetSeconds { get; init; } = DefaultTimeBudgetSeconds;
    /// <summary>The main job's time budget for the fit (the whole job adds reading the data and the test evaluation).</summary>
    public const int DefaultTimeBudgetSeconds = 320;
    /// <summary>
    /// The main job's split of its budget: more for the supernet than the trainer's default, so that on this data (30,000
    /// supernet images) it gets near the ranking study's 10 path-epochs (938 FairNAS steps) on a 2-core machine.
    /// </summary>
    public static Api.TimeBudgetShares Shares { get; } = new(0.55, 0.15, 0.30);
    /// <summary>Refit the pick on the supernet and ranking halves together (the trainer's default).</summary>
    public bool Refit { get; init; } = true;
    /// <summary>
    /// Random changes to the retraining's batches. None for the main job: its 90 s of retraining cover about 2 epochs of
    /// 60,000 images, where the job measured 90.53 % without augmentation and 88.59 % with shift and mirror (one run each,
    /// and the picks differed); the trainer's default (ShiftAndFlip) is for small data trained for many epochs.
    /// </summary>
    public Augmentation Augmentation { get; init; } = Augmentation.None;
    /// <summary>Training images used (null: all).</summary>
    public int? TrainImages { get; init; }
    /// <summary>The FLOPs budget (null: 60 % of the space's largest network).</summary>
    public long? MaxFlops { get; init; }
    /// <summary>Seed.</summary>
    public int Seed { get; init; }
    /// <summary>The data's description (the pick check refuses other data).</summary>
    public string Data { get; init; } = "";

    /// <summary>Method, K and the LR/momentum rules in words.</summary>
    public string Describe() =>
        $"{Method}{(K > 1 ? $" K-shot K = {K}" : "")}{(Calr ? " + CaLR" : "")}{(MomentumSeparation ? " + MS" : "")}, "
        + $"{(SupernetEpochs is { } e ? $"{e} supernet epochs" : "supernet steps planned")}, scoring on {ScoringImages} images"
        + (TimeBudgetSeconds is { } t ? $", time budget {t} s" : "") + (Refit ? ", refit on all training images" : "");
}

/// <summary>Builds and fits the main job's ML.NET pipeline.</summary>
internal static class MainJob
{
    /// <summary>
    /// The small NB201 skeleton for the data's shape and the FLOPs budget (default 60 % of the largest cell). Known from
    /// the source's layout alone (labels or file names, no pixels), so a budget no cell can meet is refused, as
    /// <paramref name="limitName"/>, before any image is read.
    /// </summary>
    public static (Nb201Space Space, long Limit) Space(DataSource source, int? trainImages, long? maxFlops, string limitName = "--max-flops")
    {
        var classes = source.Classes(DataSplit.Train, trainImages);
        var space = new Nb201Space(Nb201Options.FashionMnistSmall with { InputChannels = source.Channels, InputSize = source.ImageSize, Classes = classes });
        var limit = maxFlops ?? (long)(0.6 * space.Enumerate().Max(a => space.Profile(a).Flops));
        new SearchConstraints(limit).CheckFeasible(space, limitName);
        return (space, limit);
    }

    /// <summary>The trainer's options for <paramref name="s"/>; <paramref name="architecture"/> retrains that cell instead of searching.</summary>
    public static KShotNasTrainer.Options Options(MainJobSettings s, SearchSpace space, long limit, int threads, CancellationToken ct,
        string? architecture = null) => new()
    {
        Space = SpaceCatalog.Describe(space), SupernetMethod = s.Method, K = s.K, Calr = s.Calr, MomentumSeparation = s.MomentumSeparation,
        SupernetEpochs = s.SupernetEpochs ?? (s.TimeBudgetSeconds is null ? 2 : null),
        // K-shot: the seeds' m = 16 paths of 64 images per simplex-net update and their warm-up share (the trainer's defaults)
        SearchBudget = s.SearchBudget ?? (s.TimeBudgetSeconds is null ? 200 : null), MaxFlops = limit, Architecture = architecture,
        ValidationFraction = 0.5, ScoringImages = s.ScoringImages, Threads = threads, Seed = s.Seed, Refit = s.Refit, RetrainAugmentation = s.Augmentation,
        // A fixed cell (pick-check) retrains with the steps the budgeted run planned, untimed.
        TimeBudget = architecture is null && s.TimeBudgetSeconds is { } t ? TimeSpan.FromSeconds(t) : null, TimeBudgetShares = MainJobSettings.Shares,
        RetrainSteps = s.RetrainSteps, RetrainEpochs = s.RetrainSteps is null && s.TimeBudgetSeconds is null ? s.RetrainEpochs ?? 3 : s.RetrainEpochs,
        CancellationToken = ct,
    };

    /// <summary>MapValueToKey -> KShotNas -> MapKeyToValue, fitted on <paramref name="train"/>.</summary>
    public static (ITransformer Model, KShotNasFitResult Result) Fit(MLContext ml, IDataView train, KShotNasTrainer.Options options)
    {
        var nas = ml.MulticlassClassification.Trainers.KShotNas(options);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(nas).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(train);
        return (model, nas.LastResult!);
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, Converters = { new JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // cells keep their "+" readable
    };

    /// <summary>Writes the settings and the outcome of a run as run.json (temporary file, then rename).</summary>
    public static void SaveRun(string directory, MainJobSettings settings, KShotNasFitResult result, long limit, double testAccuracy) =>
        Torch.Serialization.AtomicFile.Write(Path.Combine(directory, "run.json"), stream => JsonSerializer.Serialize(stream,
            new RunRecord(settings, result.Architecture, result.Flops, result.Parameters, limit, result.Search?.Best.Result.Accuracy, testAccuracy), Json));

    /// <summary>Reads run.json of a run folder; throws naming the file when it is missing or unreadable.</summary>
    public static RunRecord LoadRun(string directory)
    {
        var path = Path.Combine(directory, "run.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found: --run must name the output folder of a finished `kshotnas run`.", path);
        try
        {
            return JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a run record: {e.Message}", e);
        }
    }
}

/// <summary>What run.json holds: the settings and the pick.</summary>
internal sealed record RunRecord(MainJobSettings Settings, string Architecture, long Flops, long Parameters, long FlopsBudget, double? SupernetScore,
    double TestAccuracy);
