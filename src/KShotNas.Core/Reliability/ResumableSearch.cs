using KShotNas.Search;
using KShotNas.Search.Strategies;
using KShotNas.Spaces;

namespace KShotNas.Reliability;

/// <summary>
/// A search whose progress survives a kill: the strategy's state goes to <c>state.json</c> in its folder after evaluated
/// candidates (at most every <see cref="SaveInterval"/>, each write atomic and flushed), on a failure and on cancellation;
/// a resumed search checks its configuration against the saved one and continues where the state ends.
/// </summary>
public static class ResumableSearch
{
    /// <summary>Longest time between state writes: a kill -9 loses at most this much work or one candidate.</summary>
    public static readonly TimeSpan SaveInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The state file of a search folder.</summary>
    public static string StatePath(string directory) => Path.Combine(directory, "state.json");

    /// <summary>Throws when <paramref name="directory"/> holds an earlier search and <paramref name="resume"/> is not set (it is never silently replaced).</summary>
    public static void CheckFolder(string directory, bool resume)
    {
        var statePath = StatePath(directory);
        if (!resume && File.Exists(statePath))
            throw new IOException($"{statePath} exists (an earlier search); add --resume to continue it, or choose another --out.");
    }

    /// <summary>
    /// Runs <paramref name="strategy"/> for <paramref name="budget"/> candidates, from its saved state in
    /// <paramref name="directory"/> when <paramref name="resume"/> is set and one exists (<paramref name="resumed"/> is told
    /// how many candidates it holds). Only a <paramref name="writer"/> writes files (rank 0 of a distributed search). A
    /// cancellation saves the state and throws <see cref="RunInterruptedException"/>.
    /// </summary>
    public static SearchResult Run(StrategyBase strategy, IArchitectureEvaluator evaluator, SearchSpace space, int budget, string directory,
        bool resume, RunConfiguration config, bool writer = true, IProgress<SearchProgress>? progress = null, Action<int>? resumed = null,
        CancellationToken cancellationToken = default)
    {
        var statePath = StatePath(directory);
        if (resume && File.Exists(statePath))
        {
            SearchStateFile.Restore(statePath, strategy, config);
            resumed?.Invoke(strategy.History.Count);
        }
        Directory.CreateDirectory(directory);
        SearchResult result;
        try
        {
            // Each write is flushed to disk, which would dominate a table lookup: hence at most one write per interval.
            var sinceSave = System.Diagnostics.Stopwatch.StartNew();
            void Save(ISearchStrategy _)
            {
                if (!writer || sinceSave.Elapsed < SaveInterval) return;
                SearchStateFile.Save(statePath, strategy, config);
                sinceSave.Restart();
            }
            result = SearchRunner.Run(strategy, evaluator, space, budget, progress, cancellationToken, Save);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (writer) SearchStateFile.Save(statePath, strategy, config); // whatever failed, the evaluated candidates are kept
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (writer) SearchStateFile.Save(statePath, strategy, config);
            throw new RunInterruptedException($"search interrupted after {strategy.History.Count} candidates; state written to {statePath}; "
                                              + "continue with --resume.", cancellationToken);
        }
        if (writer)
        {
            SearchStateFile.Save(statePath, strategy, config);
            result.Save(directory);
        }
        return result;
    }
}
