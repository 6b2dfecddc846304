namespace KShotNas.Torch;

/// <summary>
/// Frees, when disposed, every tensor created on this thread while it was the innermost scope,
/// except tensors moved out with <see cref="Tensor.MoveToOuterScope"/> or <see cref="Tensor.DetachFromScope"/>.
/// Scopes nest; typical use is one scope per training step.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;

    private readonly List<Tensor> _owned = new();
    private readonly TensorScope? _outer;
    private bool _disposed;

    private TensorScope(TensorScope? outer) => _outer = outer;

    /// <summary>The innermost open scope of this thread, or null.</summary>
    public static TensorScope? Current => t_current;

    /// <summary>Opens a scope that becomes the innermost one of this thread.</summary>
    public static TensorScope Begin() => t_current = new TensorScope(t_current);

    /// <summary>Number of tensors this scope will free.</summary>
    public int Count => _owned.Count(t => t.Scope == this && !t.IsDisposed);

    internal TensorScope? Outer => _outer;

    /// <summary>
    /// Hands <paramref name="t"/> to the enclosing scope if this scope owns it; a tensor owned elsewhere (an input passed
    /// through) is returned untouched. For functions that open a scope and may return one of their inputs.
    /// </summary>
    public Tensor Return(Tensor t) => t.Scope == this ? t.MoveToOuterScope() : t;

    internal void Adopt(Tensor t)
    {
        if (_disposed) throw new ObjectDisposedException(nameof(TensorScope));
        t.Scope = this;
        _owned.Add(t);
    }

    /// <summary>Frees the tensors the scope still owns and restores the outer scope.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (t_current != this)
            throw new InvalidOperationException("Tensor scopes must be disposed in reverse order of creation, on their own thread.");
        _disposed = true;
        t_current = _outer;
        foreach (var t in _owned)
            if (t.Scope == this) t.Dispose();
        _owned.Clear();
    }
}

/// <summary>Disables autograd recording on this thread until disposed (like <c>torch.no_grad()</c>).</summary>
public readonly struct NoGradScope : IDisposable
{
    private readonly bool _previous;

    private NoGradScope(bool previous) => _previous = previous;

    /// <summary>Turns gradient recording off for the current thread.</summary>
    public static NoGradScope Begin() => new(TorchRuntime.SetGradEnabled(false));

    /// <summary>Restores the previous grad mode.</summary>
    public void Dispose() => TorchRuntime.SetGradEnabled(_previous);
}
