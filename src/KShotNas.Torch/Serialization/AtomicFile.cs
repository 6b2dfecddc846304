namespace KShotNas.Torch.Serialization;

/// <summary>Writes files so that a crash never leaves a half-written file under the final name.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes through <paramref name="write"/> to a temporary file beside <paramref name="path"/>, flushes it
    /// to disk, then renames it over <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
