using System.CommandLine;
using KShotNas.Torch;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>`kshotnas info`: engine versions and settings, a quick check that the native parts load.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show the engine's versions and settings.");
        command.SetAction(_ =>
        {
            var table = new Table().AddColumns("what", "value");
            table.AddRow("libtorch", TorchRuntime.LibTorchVersion);
            table.AddRow("native ABI", TorchRuntime.AbiVersion.ToString());
            table.AddRow("intra-op threads (default)", TorchRuntime.Threads.ToString());
            table.AddRow("CUDA available", TorchRuntime.CudaAvailable.ToString());
            table.AddRow("processors", Environment.ProcessorCount.ToString());
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
