using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KShotNas.Cli.Tests;

/// <summary>What a finished CLI process left: exit code and its two streams.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Both streams, for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the built kshotnas CLI (same configuration as the tests) as a subprocess in a scratch folder.</summary>
public sealed class CliRunner : IDisposable
{
    private static readonly string Dll = FindCli();

    /// <summary>A fresh scratch folder.</summary>
    public CliRunner()
    {
        Dir = Path.Combine(Path.GetTempPath(), "kshotnas-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    /// <summary>The scratch folder (the processes' working directory).</summary>
    public string Dir { get; }

    /// <summary>A path in the scratch folder.</summary>
    public string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>Starts kshotnas with <paramref name="args"/>; output is collected in the background.</summary>
    public RunningCli Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Dir, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return new RunningCli(Process.Start(info)!);
    }

    /// <summary>Runs kshotnas to completion (at most two minutes).</summary>
    public CliResult Run(params string[] args)
    {
        using var p = Start(args);
        return p.Wait(TimeSpan.FromMinutes(2));
    }

    /// <summary>Deletes the scratch folder.</summary>
    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
    }

    private static string FindCli()
    {
        // tests/KShotNas.Cli.Tests/bin/<Configuration>/<tfm>/ -> src/KShotNas.Cli/bin/<Configuration>/<tfm>/kshotnas.dll
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "KShotNas.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("Repository root (KShotNas.sln) not found above " + AppContext.BaseDirectory);
        var dll = Path.Combine(root.FullName, "src", "KShotNas.Cli", "bin", configuration, tfm, "kshotnas.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"Build the CLI first: {dll} is missing.");
        return dll;
    }
}

/// <summary>A kshotnas process under test.</summary>
public sealed class RunningCli : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _out = new(), _err = new();

    internal RunningCli(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Standard output so far.</summary>
    public string Stdout { get { lock (_out) return _out.ToString(); } }

    /// <summary>True once the process ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Waits until <paramref name="condition"/> holds (polling), failing after <paramref name="timeout"/> or if the process ends first.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited) throw new InvalidOperationException($"The process ended before {what}: {Wait(TimeSpan.FromSeconds(5))}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"Gave up waiting for {what}.");
            Thread.Sleep(20);
        }
    }

    /// <summary>kill -9.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends SIGINT or SIGTERM.</summary>
    public void Signal(PosixSignal signal)
    {
        var number = signal switch { PosixSignal.SIGINT => 2, PosixSignal.SIGTERM => 15, _ => throw new ArgumentOutOfRangeException(nameof(signal)) };
        if (kill(_process.Id, number) != 0) throw new InvalidOperationException($"kill({_process.Id}, {number}) failed");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>Waits for the end and returns the result; kills the process if it outlives <paramref name="timeout"/>.</summary>
    public CliResult Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kshotnas did not finish within {timeout}; output so far:\n{Stdout}");
        }
        _process.WaitForExit(); // drains the output readers
        string err;
        lock (_err) err = _err.ToString();
        return new CliResult(_process.ExitCode, Stdout, err);
    }

    /// <summary>Kills the process if it still runs.</summary>
    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
