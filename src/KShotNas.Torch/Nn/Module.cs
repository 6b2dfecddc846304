namespace KShotNas.Torch.Nn;

/// <summary>
/// A network part with named parameters, buffers and sub-modules, and a train/eval mode.
/// A module owns its parameters and buffers (they live outside every <see cref="TensorScope"/>)
/// and frees them on <see cref="Dispose"/>.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = new();
    private readonly List<(string Name, Tensor Tensor)> _buffers = new();
    private readonly List<(string Name, Module Module)> _children = new();
    private bool _disposed;

    /// <summary>True in training mode (batch statistics, dropout on).</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Runs the module.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Registers a trainable tensor; it leaves any scope and starts requiring gradients.</summary>
    protected Tensor RegisterParameter(string name, Tensor tensor)
    {
        CheckName(name);
        tensor.DetachFromScope().RequiresGrad = true;
        _parameters.Add((name, tensor));
        return tensor;
    }

    /// <summary>Registers a non-trainable state tensor (running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor tensor)
    {
        CheckName(name);
        _buffers.Add((name, tensor.DetachFromScope()));
        return tensor;
    }

    /// <summary>Registers a sub-module; its parameters appear under "name.".</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"Invalid member name '{name}': it must be non-empty and contain no '.'.");
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"A member named '{name}' is already registered in {GetType().Name}.");
    }

    /// <summary>Direct sub-modules with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>All parameters of this module and its sub-modules, with dotted names, in registration order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters() => Walk("", m => m._parameters);

    /// <summary>All buffers with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers() => Walk("", m => m._buffers);

    /// <summary>All parameters, in the order of <see cref="NamedParameters"/>.</summary>
    public IReadOnlyList<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter).ToList();

    private IEnumerable<(string, Tensor)> Walk(string prefix, Func<Module, List<(string Name, Tensor Tensor)>> pick)
    {
        foreach (var (name, t) in pick(this)) yield return (prefix + name, t);
        foreach (var (name, child) in _children)
            foreach (var item in child.Walk(prefix + name + ".", pick))
                yield return item;
    }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => p.NumEl);

    /// <summary>Sets training mode on this module and every sub-module.</summary>
    public virtual Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children) child.Train(training);
        return this;
    }

    /// <summary>Converts every parameter and buffer in place to <paramref name="dtype"/> (e.g. float64 for gradient checks).</summary>
    public Module To(DType dtype)
    {
        using var scope = TensorScope.Begin();
        foreach (var (_, t) in NamedParameters().Concat(NamedBuffers()))
            if (t.DType != dtype) t.SetData(t.Detach().To(dtype));
        return this;
    }

    /// <summary>Sets evaluation mode (running statistics, no dropout).</summary>
    public Module Eval() => Train(false);

    /// <summary>Parameters and buffers by dotted name. The tensors are the module's own (not copies).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (n, t) in NamedParameters()) d[n] = t;
        foreach (var (n, t) in NamedBuffers()) d[n] = t;
        return d;
    }

    /// <summary>
    /// Copies values into the parameters and buffers. With <paramref name="strict"/>, every entry must match
    /// by name and shape both ways; otherwise unknown and missing names are ignored (shapes still must match).
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        if (strict)
        {
            var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new ArgumentException(
                    $"State does not match {GetType().Name}: {missing.Count} missing {Few(missing)}, {unexpected.Count} unexpected {Few(unexpected)}.");
        }
        using var noGrad = NoGradScope.Begin();
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue(name, out var source)) continue;
            if (!source.Shape.SequenceEqual(target.Shape))
                throw new ArgumentException(
                    $"Shape mismatch for '{name}': state has [{string.Join(", ", source.Shape)}], module has [{string.Join(", ", target.Shape)}].");
            target.CopyFrom(source);
        }
    }

    private static string Few(List<string> names) =>
        "[" + string.Join(", ", names.Take(5)) + (names.Count > 5 ? ", ..." : "") + "]";

    /// <summary>Frees the parameters, buffers and sub-modules.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, t) in _parameters) t.Dispose();
        foreach (var (_, t) in _buffers) t.Dispose();
        foreach (var (_, c) in _children) c.Dispose();
        OnDispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what a derived module owns besides registered members.</summary>
    protected virtual void OnDispose() { }
}
