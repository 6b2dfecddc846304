using KShotNas.Reliability;

namespace KShotNas.Cli.Commands;

/// <summary>
/// The output folder of `kshotnas run`, written whole or not at all. A folder holding files of anything but an earlier
/// run (no run.json) is refused unless --force. The run writes into a staging folder beside it (".NAME.new-PID") and
/// <see cref="Commit"/> swaps it into place: an earlier run is replaced whole (never mixed with the new files), and a
/// failed or killed run leaves the earlier folder as it was. A lock beside the folder (".NAME.lock") keeps two runs
/// apart; stale staging folders of killed runs are removed under it.
/// </summary>
internal sealed class RunFolder : IDisposable
{
    private const string RunRecordFile = "run.json";
    private readonly RunLock _lock;
    private readonly string _path;
    private bool _committed;

    private RunFolder(string path, string staging, RunLock runLock)
    {
        _path = path;
        Staging = staging;
        _lock = runLock;
    }

    /// <summary>Where the run writes its files until <see cref="Commit"/>.</summary>
    public string Staging { get; }

    /// <summary>Checks <paramref name="folder"/> (--out), locks it and creates the staging folder; throws before any work when refused.</summary>
    public static RunFolder Open(string folder, bool force)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new InvalidOptionException("--out", "needs a folder path.");
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var parent = Path.GetDirectoryName(path) ?? throw new InvalidOptionException("--out", $"{folder} has no parent folder to stage the run in.");
        if (File.Exists(path)) throw new InvalidOptionException("--out", $"{folder} is a file; give a folder.");
        OptionChecks.WritableFolder("--out", parent);
        var runLock = RunLock.Acquire(path, isFolder: false);
        try
        {
            var name = Path.GetFileName(path);
            // A run killed between the two moves of Commit left its predecessor as ".NAME.old-PID": put it back.
            var old = Directory.GetDirectories(parent, $".{name}.old-*");
            if (!Directory.Exists(path) && old.Length > 0) Directory.Move(old[0], path);
            foreach (var stale in Directory.GetDirectories(parent, $".{name}.new-*").Concat(Directory.GetDirectories(parent, $".{name}.old-*")))
                Directory.Delete(stale, recursive: true);
            if (Directory.Exists(path) && !force && !File.Exists(Path.Combine(path, RunRecordFile)))
            {
                // The lock file of earlier versions (inside the folder) is ours too.
                var foreign = Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName).Where(f => f != ".kshotnas.lock").Order().ToList();
                if (foreign.Count > 0)
                    throw new InvalidOptionException("--out", $"{folder} holds files that `kshotnas run` did not write ({string.Join(", ", foreign.Take(5))}"
                                                              + $"{(foreign.Count > 5 ? $", and {foreign.Count - 5} more" : "")}); choose another folder, or add --force to replace it whole.");
            }
            var staging = Path.Combine(parent, $".{name}.new-{Environment.ProcessId}");
            Directory.CreateDirectory(staging);
            return new RunFolder(path, staging, runLock);
        }
        catch
        {
            runLock.Dispose();
            throw;
        }
    }

    /// <summary>Moves the finished run into place, replacing an earlier one whole.</summary>
    public void Commit()
    {
        var old = Path.Combine(Path.GetDirectoryName(_path)!, $".{Path.GetFileName(_path)}.old-{Environment.ProcessId}");
        if (Directory.Exists(_path)) Directory.Move(_path, old);
        Directory.Move(Staging, _path);
        _committed = true;
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>Removes the staging folder of an unfinished run and releases the lock.</summary>
    public void Dispose()
    {
        try
        {
            if (!_committed && Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true);
        }
        catch (IOException) { } // the next run removes it under the lock
        _lock.Dispose();
    }
}
