using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using KShotNas.Torch.Distributed;

namespace KShotNas.Cli.Commands;

/// <summary>
/// `kshotnas launch --nproc N -- COMMAND...`: starts N local processes of one command, as torchrun does, with RANK,
/// WORLD_SIZE, MASTER_ADDR and MASTER_PORT set. COMMAND is a kshotnas command line (e.g. `supernet-train ...`) or
/// any program. Output lines are prefixed with the rank. When a process fails, the others get a grace period to
/// stop on their own (they notice within their timeout), then are killed; the exit code is the first failure's.
/// </summary>
internal static class LaunchCommand
{
    public static Command Create(RootCommand root)
    {
        var nproc = new Option<int>("--nproc") { Description = "Processes to start on this machine.", DefaultValueFactory = _ => 2 };
        var port = new Option<int?>("--master-port") { Description = "Rendezvous port (default: a free port)." };
        var grace = new Option<double>("--grace") { Description = "Seconds the other processes get to stop after one fails.", DefaultValueFactory = _ => 30 };
        var rest = new Argument<string[]>("command") { Description = "The command each process runs (after --).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("launch", "Start N local processes of one command for distributed training or search (torchrun's conventions).")
        {
            nproc, port, grace, rest,
        };
        command.SetAction(async (p, ct) =>
        {
            var n = p.GetValue(nproc);
            if (n < 1) throw new ArgumentException($"--nproc must be at least 1, got {n}.");
            var args = p.GetValue(rest)!;
            var masterPort = p.GetValue(port) ?? LaunchSettings.FreeLoopbackPort();
            var isKshotnas = root.Subcommands.Any(c => c.Name == args[0]);
            var processes = new List<Process>();
            try
            {
                for (var r = 0; r < n; r++) processes.Add(Start(r, n, masterPort, args, isKshotnas));
                var waits = processes.Select(pr => pr.WaitForExitAsync(ct)).ToList();
                var pending = new List<Task>(waits);
                var first = await Task.WhenAny(pending);
                var firstIndex = waits.IndexOf((Task)first);
                if (processes[firstIndex].ExitCode != 0)
                    await Task.WhenAny(Task.WhenAll(waits), Task.Delay(TimeSpan.FromSeconds(p.GetValue(grace)), ct));
                else
                    await Task.WhenAll(waits);
                foreach (var pr in processes.Where(pr => !pr.HasExited))
                {
                    Console.Error.WriteLine($"launch: killing a process that did not stop (pid {pr.Id})");
                    pr.Kill(entireProcessTree: true);
                }
                await Task.WhenAll(processes.Select(pr => pr.WaitForExitAsync(CancellationToken.None)));
                var failed = processes.Select((pr, r) => (Rank: r, pr.ExitCode)).Where(x => x.ExitCode != 0).ToList();
                foreach (var f in failed) Console.Error.WriteLine($"launch: rank {f.Rank} exited with code {f.ExitCode}");
                return failed.Count == 0 ? 0 : failed[0].ExitCode;
            }
            finally
            {
                foreach (var pr in processes)
                {
                    if (!pr.HasExited) pr.Kill(entireProcessTree: true);
                    pr.Dispose();
                }
            }
        });
        return command;
    }

    private static Process Start(int rank, int world, int port, string[] args, bool isKshotnas)
    {
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (isKshotnas)
        {
            // The same kshotnas this process runs: `dotnet kshotnas.dll` or the apphost.
            var host = Environment.ProcessPath!;
            info.FileName = host;
            if (Path.GetFileNameWithoutExtension(host) == "dotnet") info.ArgumentList.Add(typeof(LaunchCommand).Assembly.Location);
        }
        else
        {
            info.FileName = args[0];
        }
        foreach (var a in isKshotnas ? args : args.Skip(1)) info.ArgumentList.Add(a);
        info.Environment["RANK"] = rank.ToString(CultureInfo.InvariantCulture);
        info.Environment["LOCAL_RANK"] = rank.ToString(CultureInfo.InvariantCulture);
        info.Environment["WORLD_SIZE"] = world.ToString(CultureInfo.InvariantCulture);
        info.Environment["MASTER_ADDR"] = "127.0.0.1";
        info.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"[rank {rank}] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[rank {rank}] {e.Data}"); };
        if (!process.Start()) throw new IOException($"Could not start {info.FileName}.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

}
