using System.Security.Cryptography;
using System.Text;
using KShotNas.Torch;
using KShotNas.Torch.Distributed;
using KShotNas.Torch.Optim;

namespace KShotNas.Distributed;

/// <summary>
/// Data-parallel supernet training, the way PyTorch's DDP does it: every rank draws the same paths (same seeded
/// stream), runs its shard of each global batch, and the shards' gradients are summed across ranks in one flat
/// buffer per step, so every rank applies the same update. Batch norms use each shard's own statistics (as DDP
/// without SyncBatchNorm), so a run of W ranks equals one process that accumulates the W shards of each batch:
/// <see cref="Emulated"/> is that reference.
/// </summary>
public sealed class DataParallel
{
    private DataParallel(ProcessGroup? group, int shards)
    {
        Group = group;
        Shards = shards;
    }

    /// <summary>The process group (null for <see cref="Emulated"/>).</summary>
    public ProcessGroup? Group { get; }

    /// <summary>Shards of each global batch (the world size).</summary>
    public int Shards { get; }

    /// <summary>This process's rank (0 when emulated).</summary>
    public int Rank => Group?.Rank ?? 0;

    /// <summary>True on the rank that writes files (rank 0).</summary>
    public bool IsWriter => Rank == 0;

    /// <summary>Training across the ranks of <paramref name="group"/>.</summary>
    public static DataParallel Across(ProcessGroup group) => new(group, group.WorldSize);

    /// <summary>
    /// One process computing what <paramref name="shards"/> ranks compute together: each batch in that many shards,
    /// gradients accumulated. Results equal a distributed run of that world size up to float summation order.
    /// </summary>
    public static DataParallel Emulated(int shards) =>
        shards >= 1 ? new(null, shards) : throw new ArgumentOutOfRangeException(nameof(shards), "At least one shard.");

    /// <summary>Every shard's loss is scaled by this before backward, so the summed gradients are the global batch's mean.</summary>
    internal double LossScale => 1.0 / Shards;

    /// <summary>The global batch size must split evenly into shards.</summary>
    internal void CheckBatch(int globalBatch)
    {
        if (globalBatch % Shards != 0 || globalBatch < Shards)
            throw new ArgumentException($"The global batch size {globalBatch} does not split into {Shards} equal shards (one per rank); "
                                        + $"use a multiple of the world size.");
    }

    /// <summary>The shards of (x, y) this process computes: its own when distributed, all of them when emulated (views, in this scope).</summary>
    internal IReadOnlyList<(Tensor X, Tensor Y)> ShardsOf(Tensor x, Tensor y)
    {
        var size = x.Size(0) / Shards;
        if (Group is not null) return [(x.Narrow(0, Rank * size, size), y.Narrow(0, Rank * size, size))];
        return Enumerable.Range(0, Shards).Select(s => (x.Narrow(0, s * size, size), y.Narrow(0, s * size, size))).ToArray();
    }

    /// <summary>Sums the gradients of <paramref name="parameters"/> over ranks (nothing to do when emulated: they accumulated locally).</summary>
    internal void SumGradients(ParameterList parameters, string label) => Group?.AllReduceGradients(parameters, average: false, label);

    /// <summary>Copies rank 0's values into every rank (start-up: guards against differing initializations).</summary>
    internal void BroadcastFromWriter(IReadOnlyList<Tensor> tensors, string label)
    {
        if (Group is null || tensors.Count == 0) return;
        foreach (var group in tensors.GroupBy(t => t.DType)) Group.Broadcast(group.ToArray(), 0, label);
    }

    /// <summary>
    /// Compares named settings across ranks (by digest) before any training, so that ranks started with a different
    /// space, method, seed or data size fail at once with the settings named, instead of silently diverging.
    /// </summary>
    internal void CheckSameSettings(IReadOnlyList<(string Name, string Value)> settings)
    {
        if (Group is null) return;
        var digests = settings.Select(s => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(s.Value)), 0)).ToArray();
        using var scope = TensorScope.Begin();
        var all = Group.AllGather(Tensor.FromArray(digests, [digests.Length]), "configuration digest");
        var values = all.ToArray<long>();
        var problems = new List<string>();
        for (var r = 1; r < Group.WorldSize; r++)
        {
            var differing = settings.Where((_, i) => values[r * digests.Length + i] != values[i]).Select(s => s.Name).ToArray();
            if (differing.Length > 0) problems.Add($"rank {r} differs from rank 0 in {string.Join(", ", differing)}");
        }
        if (problems.Count > 0)
            throw new ArgumentException($"Ranks were started with different settings: {string.Join("; ", problems)} "
                                        + $"(rank {Rank} has {string.Join(", ", settings.Select(s => $"{s.Name}={s.Value}"))}). "
                                        + "Start every rank with the same command.");
    }
}
