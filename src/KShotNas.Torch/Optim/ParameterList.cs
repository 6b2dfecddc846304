namespace KShotNas.Torch.Optim;

/// <summary>
/// A fixed list of tensors with their native pointers cached, so fused optimizer calls need no
/// per-step marshaling. Holds references only; the tensors stay owned by their module.
/// </summary>
public sealed class ParameterList
{
    private readonly IntPtr[] _ptrs;

    /// <summary>Captures the tensors (they must stay alive while this list is used).</summary>
    public ParameterList(IReadOnlyList<Tensor> tensors)
    {
        Tensors = tensors.ToArray();
        _ptrs = Tensors.Select(t => t.Ptr).ToArray();
    }

    /// <summary>The tensors.</summary>
    public IReadOnlyList<Tensor> Tensors { get; }

    /// <summary>Number of tensors.</summary>
    public int Count => _ptrs.Length;

    internal IntPtr[] Pointers
    {
        get
        {
            foreach (var t in Tensors)
                if (t.IsDisposed) throw new ObjectDisposedException(nameof(Tensor), "A tensor of the parameter list was disposed.");
            return _ptrs;
        }
    }

    /// <summary>A list of fresh zero tensors shaped like these (for optimizer state).</summary>
    public ParameterList ZerosLike() =>
        new(Tensors.Select(t => Tensor.Zeros(t.Shape, t.DType, t.Device).DetachFromScope()).ToArray());

    /// <summary>Frees the tensors (only for lists that own them, such as optimizer state).</summary>
    internal void DisposeTensors()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
