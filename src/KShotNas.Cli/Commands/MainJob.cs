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

    /// <summary>
    /// The trainer's options of a run of <paramref name="recipe"/> (the <see cref="NasRecipe.MainJob"/> preset with the
    /// command's switches): half of the training images train the supernet, half rank the candidates.
    /// </summary>
    public static KShotNasTrainer.Options Options(NasRecipe recipe, CancellationToken ct) => new()
    {
        Recipe = recipe, ValidationFraction = 0.5, CancellationToken = ct,
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

    /// <summary>Writes the recipe and the outcome of a run as run.json (temporary file, then rename).</summary>
    public static void SaveRun(string directory, RunRecord record) =>
        Torch.Serialization.AtomicFile.Write(Path.Combine(directory, "run.json"), stream => JsonSerializer.Serialize(stream, record, Json));

    /// <summary>Reads run.json of a run folder; throws naming the file when it is missing or unreadable.</summary>
    public static RunRecord LoadRun(string directory)
    {
        var path = Path.Combine(directory, "run.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found: --run must name the output folder of a finished `kshotnas run`.", path);
        try
        {
            return JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path} is not a run record of this version: {e.Message}", e);
        }
    }
}

/// <summary>
/// What run.json holds: the run's recipe (its retraining steps those the time budget planned, so that `study pick-check`
/// retrains other cells alike), the data, and the pick.
/// </summary>
internal sealed record RunRecord(NasRecipe Recipe, string Data, int? TrainImages, string Architecture, long Flops, long Parameters, long FlopsBudget,
    double? SupernetScore, double TestAccuracy);
