using System.Globalization;
using System.Text;

namespace KShotNas.Torch.Serialization;

/// <summary>Writes files so that a crash never leaves a half-written file under the final name.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes through <paramref name="write"/> to a temporary file beside <paramref name="path"/>, flushes it
    /// to disk, then renames it over <paramref name="path"/>. Temporary files that killed writers of the same
    /// file left behind are deleted first.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        CleanStaleTemporaries(full);
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

    /// <summary>Writes <paramref name="text"/> (UTF-8) atomically to <paramref name="path"/>.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// Deletes the temporary files of <paramref name="path"/> whose writing process no longer runs (a kill -9 during
    /// a write leaves one); returns how many were deleted. Files of live processes are left alone.
    /// </summary>
    public static int CleanStaleTemporaries(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) return 0;
        var prefix = $".{Path.GetFileName(full)}.";
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(dir, prefix + "*.tmp"))
        {
            // Name: .<file>.<pid>.<guid>.tmp
            var middle = Path.GetFileName(file)[prefix.Length..^".tmp".Length].Split('.');
            if (middle.Length != 2 || !int.TryParse(middle[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (IsRunning(pid)) continue;
            try
            {
                File.Delete(file);
                deleted++;
            }
            catch (IOException) { } // another cleaner got there first
            catch (UnauthorizedAccessException) { }
        }
        return deleted;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
    }
}
