using System.CommandLine;
using KShotNas.Reliability;
using KShotNas.Torch.Distributed;

namespace KShotNas.Cli.Commands;

/// <summary>
/// The distributed options a command accepts, named as torchrun's environment variables (which they override):
/// --rank, --world-size, --master-addr, --master-port, plus --dist-timeout. Without them, and without the
/// variables, a command runs as one plain process.
/// </summary>
internal sealed class DistributedOptions
{
    private readonly Option<int?> _rank = new("--rank") { Description = "This process's rank (default: $RANK, else 0)." };
    private readonly Option<int?> _world = new("--world-size") { Description = "Number of processes (default: $WORLD_SIZE, else 1: no distribution)." };
    private readonly Option<string?> _addr = new("--master-addr") { Description = "Address of rank 0, which hosts the rendezvous (default: $MASTER_ADDR, else 127.0.0.1)." };
    private readonly Option<int?> _port = new("--master-port") { Description = "Rendezvous port on rank 0 (default: $MASTER_PORT, else 29500)." };
    private readonly Option<double> _timeout = new("--dist-timeout")
    {
        Description = "Seconds any rank waits for the others (rendezvous, each collective) before failing with the lagging rank named.",
        DefaultValueFactory = _ => LaunchSettings.DefaultTimeout.TotalSeconds,
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_rank);
        command.Options.Add(_world);
        command.Options.Add(_addr);
        command.Options.Add(_port);
        command.Options.Add(_timeout);
    }

    /// <summary>The settings of this invocation.</summary>
    public LaunchSettings Resolve(ParseResult p) =>
        LaunchSettings.Resolve(p.GetValue(_rank), p.GetValue(_world), p.GetValue(_addr), p.GetValue(_port), TimeSpan.FromSeconds(p.GetValue(_timeout)));

    /// <summary>
    /// The output lock (see RunLock) for rank 0, which alone writes the outputs; the other ranks of a launched run
    /// share rank 0's outputs and take none (they would find rank 0's lock and stop).
    /// </summary>
    public RunLock? LockOutput(ParseResult p, string output, bool isFolder) => Resolve(p).Rank == 0 ? RunLock.Acquire(output, isFolder) : null;

    /// <summary>Joins the process group when the world size is above 1; null for a plain single process.</summary>
    public ProcessGroup? Join(ParseResult p)
    {
        var settings = Resolve(p);
        if (!settings.IsDistributed) return null;
        Console.Error.WriteLine($"rank {settings.Rank}/{settings.WorldSize}: joining {settings.MasterAddress}:{settings.MasterPort}");
        return ProcessGroup.Create(settings);
    }
}
