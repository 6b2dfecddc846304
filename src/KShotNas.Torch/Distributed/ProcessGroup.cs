using System.Diagnostics;
using KShotNas.Torch.Native;
using KShotNas.Torch.Optim;

namespace KShotNas.Torch.Distributed;

/// <summary>
/// A group of processes (ranks) joined through PyTorch's c10d: a TCPStore rendezvous hosted by rank 0 and a Gloo
/// process group. Collectives flatten their tensor lists into one buffer (one message per call, not one per
/// tensor) and fail with a <see cref="TorchException"/> naming the operation and the rank that did not take part
/// once the timeout passes; no call waits forever.
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    private readonly ProcessGroupHandle _handle;

    private ProcessGroup(ProcessGroupHandle handle, int rank, int worldSize, TimeSpan timeout)
    {
        _handle = handle;
        Rank = rank;
        WorldSize = worldSize;
        Timeout = timeout;
    }

    /// <summary>This process's rank, 0 .. <see cref="WorldSize"/> - 1.</summary>
    public int Rank { get; }

    /// <summary>Number of processes in the group.</summary>
    public int WorldSize { get; }

    /// <summary>Bound on the rendezvous and on every collective.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Time spent inside collectives so far (the communication share of a run).</summary>
    public TimeSpan CommunicationTime { get; private set; }

    /// <summary>Collectives issued so far.</summary>
    public long Collectives { get; private set; }

    /// <summary>Scalars in the last gradient all-reduce (its bucket size).</summary>
    public long LastGradientElements { get; private set; }

    /// <summary>Joins the group: rank 0 hosts the store at <paramref name="masterAddress"/>:<paramref name="masterPort"/>, the others connect.</summary>
    public static ProcessGroup Create(string masterAddress, int masterPort, int rank, int worldSize, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(masterAddress);
        var ms = (long)timeout.TotalMilliseconds;
        if (ms < 1) throw new ArgumentOutOfRangeException(nameof(timeout), "The distributed timeout must be positive.");
        Status.Check(DistributedNative.kst_pg_create(masterAddress, masterPort, rank, worldSize, ms, out var ptr));
        return new ProcessGroup(new ProcessGroupHandle(ptr), rank, worldSize, timeout);
    }

    /// <summary>Joins the group described by <paramref name="settings"/>.</summary>
    public static ProcessGroup Create(LaunchSettings settings) =>
        Create(settings.MasterAddress, settings.MasterPort, settings.Rank, settings.WorldSize, settings.Timeout);

    /// <summary>Sums (or averages) <paramref name="tensors"/> in place across ranks; all must be contiguous and of one dtype.</summary>
    public unsafe void AllReduce(IReadOnlyList<Tensor> tensors, bool average = false, string label = "")
    {
        var ptrs = tensors.Select(t => t.Ptr).ToArray();
        var clock = Stopwatch.StartNew();
        int status;
        fixed (IntPtr* p = ptrs) status = DistributedNative.kst_pg_allreduce(_handle, p, ptrs.Length, average ? 1 : 0, label);
        Done(clock, status);
        GC.KeepAlive(tensors);
    }

    /// <summary>
    /// Sums (or averages) the gradients of <paramref name="parameters"/> across ranks in one flat buffer. Parameters
    /// without a gradient are left out, so every rank must hold gradients for the same parameters (same paths).
    /// </summary>
    public unsafe void AllReduceGradients(ParameterList parameters, bool average, string label = "")
    {
        var ptrs = parameters.Pointers;
        var clock = Stopwatch.StartNew();
        int status;
        long elements;
        fixed (IntPtr* p = ptrs) status = DistributedNative.kst_pg_allreduce_grads(_handle, p, ptrs.Length, average ? 1 : 0, label, out elements);
        Done(clock, status);
        LastGradientElements = elements;
        GC.KeepAlive(parameters);
    }

    /// <summary>Copies rank <paramref name="root"/>'s values of <paramref name="tensors"/> into every rank's tensors.</summary>
    public unsafe void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0, string label = "")
    {
        var ptrs = tensors.Select(t => t.Ptr).ToArray();
        var clock = Stopwatch.StartNew();
        int status;
        fixed (IntPtr* p = ptrs) status = DistributedNative.kst_pg_broadcast(_handle, p, ptrs.Length, root, label);
        Done(clock, status);
        GC.KeepAlive(tensors);
    }

    /// <summary>Every rank's <paramref name="tensor"/> (same shape everywhere), stacked: shape [WorldSize, ...].</summary>
    public Tensor AllGather(Tensor tensor, string label = "")
    {
        var clock = Stopwatch.StartNew();
        var status = DistributedNative.kst_pg_allgather(_handle, tensor.Ptr, label, out var result);
        GC.KeepAlive(tensor);
        Done(clock, status);
        return Tensor.From(status, result);
    }

    /// <summary>Waits until every rank has reached this call.</summary>
    public void Barrier(string label = "") => Done(Stopwatch.StartNew(), DistributedNative.kst_pg_barrier(_handle, label));

    private void Done(Stopwatch clock, int status)
    {
        CommunicationTime += clock.Elapsed;
        Collectives++;
        Status.Check(status);
    }

    /// <summary>Leaves the group (closes the store connection and the Gloo context).</summary>
    public void Dispose() => _handle.Dispose();
}
