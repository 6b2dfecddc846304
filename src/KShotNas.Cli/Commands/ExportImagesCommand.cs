using System.CommandLine;
using KShotNas.Data;
using KShotNas.MLNet;
using Spectre.Console;

namespace KShotNas.Cli.Commands;

/// <summary>`kshotnas export-images`: real Fashion-MNIST images as PNG files in class subfolders (for the image-folder sample).</summary>
internal static class ExportImagesCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder to write (one subfolder per class).", Required = true };
        var split = new Option<DataSplit>("--split") { Description = "Train or Test.", DefaultValueFactory = _ => DataSplit.Train };
        var perClass = new Option<int>("--per-class") { Description = "Images per class.", DefaultValueFactory = _ => 100 };
        var data = new Option<string?>("--idx") { Description = $"IDX folder (default {FashionMnist.DefaultDirectory} or $KSHOTNAS_FASHION_MNIST)." };
        var command = new Command("export-images", "Write Fashion-MNIST images as PNG files, one subfolder per class.") { output, split, perClass, data };
        command.SetAction(p =>
        {
            var n = ImageData.ExportPng(p.GetValue(data), p.GetValue(split), p.GetValue(output)!, p.GetValue(perClass));
            AnsiConsole.WriteLine($"wrote {n} PNG images to {p.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
