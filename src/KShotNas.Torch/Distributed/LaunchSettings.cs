using System.Globalization;

namespace KShotNas.Torch.Distributed;

/// <summary>
/// Where a process sits in a distributed run, in torchrun's conventions: the environment variables RANK,
/// WORLD_SIZE, MASTER_ADDR and MASTER_PORT (options of the same names override them). A world size of 1 means
/// plain single-process work, with no rendezvous at all.
/// </summary>
public sealed record LaunchSettings(int Rank, int WorldSize, string MasterAddress, int MasterPort, TimeSpan Timeout)
{
    /// <summary>Default bound on the rendezvous and on every collective: a dead or hung rank stops the others within it.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    /// <summary>A TCP port free right now on loopback (the OS picks it), for a local launch's rendezvous.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>True when more than one process takes part.</summary>
    public bool IsDistributed => WorldSize > 1;

    /// <summary>
    /// Settings from explicit values, falling back to the environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
    /// then to a single process. Bad values give an <see cref="ArgumentException"/> naming the variable.
    /// </summary>
    public static LaunchSettings Resolve(int? rank = null, int? worldSize = null, string? masterAddress = null, int? masterPort = null,
        TimeSpan? timeout = null, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var world = worldSize ?? ParseEnv(environment, "WORLD_SIZE") ?? 1;
        var r = rank ?? ParseEnv(environment, "RANK") ?? 0;
        var addr = masterAddress ?? environment("MASTER_ADDR") ?? "127.0.0.1";
        var port = masterPort ?? ParseEnv(environment, "MASTER_PORT") ?? 29500;
        var t = timeout ?? DefaultTimeout;
        if (world < 1) throw new ArgumentException($"WORLD_SIZE must be at least 1, got {world}.");
        if (r < 0 || r >= world) throw new ArgumentException($"RANK {r} is outside 0..{world - 1} (WORLD_SIZE {world}).");
        if (port is < 1 or > 65535) throw new ArgumentException($"MASTER_PORT {port} is not a TCP port (1..65535).");
        if (string.IsNullOrWhiteSpace(addr)) throw new ArgumentException("MASTER_ADDR is empty.");
        if (t <= TimeSpan.Zero) throw new ArgumentException($"The distributed timeout must be positive, got {t}.");
        return new LaunchSettings(r, world, addr, port, t);
    }

    private static int? ParseEnv(Func<string, string?> environment, string name)
    {
        var v = environment(name);
        if (string.IsNullOrWhiteSpace(v)) return null;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new ArgumentException($"The environment variable {name}='{v}' is not an integer.");
    }
}
