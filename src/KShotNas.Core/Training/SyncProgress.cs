namespace KShotNas.Training;

/// <summary>
/// An <see cref="IProgress{T}"/> that reports synchronously on the reporting thread, in order
/// (<see cref="Progress{T}"/> posts to the thread pool, which reorders and delays reports).
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
