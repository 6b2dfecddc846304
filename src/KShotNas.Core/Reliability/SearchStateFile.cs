using System.Text.Json;
using System.Text.Json.Nodes;
using KShotNas.Search.Strategies;
using KShotNas.Torch.Serialization;

namespace KShotNas.Reliability;

/// <summary>
/// A search's durable state: the strategy's complete state plus the labelled configuration it was run with, written
/// atomically (a kill -9 leaves the previous version, never a torn file). Restoring checks the configuration and
/// refuses a mismatch, so results of different evaluators or limits are never mixed.
/// </summary>
public static class SearchStateFile
{
    private const string Format = "kshotnas-search-state-v1";

    /// <summary>Writes <paramref name="strategy"/>'s state and <paramref name="config"/> atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, StrategyBase strategy, RunConfiguration config)
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["config"] = JsonNode.Parse(config.ToJson()),
            ["strategy"] = JsonNode.Parse(strategy.SaveState()),
        };
        AtomicFile.WriteAllText(path, root.ToJsonString());
    }

    /// <summary>
    /// Restores <paramref name="strategy"/> from <paramref name="path"/> after checking that it was written with
    /// <paramref name="config"/>; a damaged or foreign file, or other settings, raise a clear error.
    /// </summary>
    public static void Restore(string path, StrategyBase strategy, RunConfiguration config)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is damaged ({e.Message}); delete it to start the search over, or choose another --out.");
        }
        if (root is not JsonObject o || o["format"]?.GetValue<string>() != Format || o["config"] is not JsonObject c || o["strategy"] is not JsonObject s)
            throw new InvalidDataException($"{path} is not a search state of this KShotNas version; delete it to start over, or choose another --out.");
        RunConfiguration.FromJson(c.ToJsonString()).EnsureSameAs(config, path);
        try { strategy.RestoreState(s.ToJsonString()); }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the strategy state is unusable ({e.Message}); delete it to start over.");
        }
    }
}
