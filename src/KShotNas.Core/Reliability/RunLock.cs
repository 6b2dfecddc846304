namespace KShotNas.Reliability;

/// <summary>
/// An exclusive lock on an output (a file or folder), held while a command writes to it, so two processes on one
/// --out cannot corrupt each other. The lock is an OS file lock (flock) on a hidden ".lock" file beside the output:
/// the OS releases it when the process dies, even by kill -9, so no stale lock blocks the next run. The lock file
/// itself stays (deleting it would let a waiting process lock an orphaned inode).
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;

    private RunLock(FileStream stream, string path)
    {
        _stream = stream;
        LockFile = path;
    }

    /// <summary>The lock file.</summary>
    public string LockFile { get; }

    /// <summary>The lock file of an output: "&lt;folder&gt;/.kshotnas.lock" for a folder, ".&lt;name&gt;.lock" beside a file.</summary>
    public static string LockFileOf(string output, bool isFolder)
    {
        var full = Path.GetFullPath(output);
        return isFolder ? Path.Combine(full, ".kshotnas.lock") : Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.lock");
    }

    /// <summary>Takes the lock of <paramref name="output"/>, or throws <see cref="RunLockedException"/> at once when another process holds it.</summary>
    public static RunLock Acquire(string output, bool isFolder)
    {
        var path = LockFileOf(output, isFolder);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        FileStream stream;
        try
        {
            // FileShare.None is an exclusive, non-blocking flock on Unix and a sharing lock on Windows.
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
        {
            throw new RunLockedException(output, path);
        }
        stream.SetLength(0); // the holder's process id, for whoever wonders who holds it
        stream.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
        stream.Flush();
        return new RunLock(stream, path);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _stream.Dispose();
}
