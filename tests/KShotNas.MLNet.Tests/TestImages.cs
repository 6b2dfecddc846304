using KShotNas.Data;
using KShotNas.MLNet;
using Microsoft.ML.Data;

namespace KShotNas.MLNet.Tests;

/// <summary>Real image files on disk for the image-folder tests: mixed sizes and modes, and damaged files.</summary>
internal static class TestImages
{
    /// <summary>A PNG (or JPEG by the extension) of <paramref name="width"/> x <paramref name="height"/>, grey or colour, seeded noise over a gradient.</summary>
    public static void Write(string path, int width, int height, bool grey, int seed)
    {
        var rng = new Random(seed);
        var bgra = new byte[width * height * 4];
        for (var p = 0; p < width * height; p++)
        {
            var v = (byte)((p % width) * 255 / Math.Max(1, width - 1) / 2 + rng.Next(128));
            bgra[4 * p] = v;
            bgra[4 * p + 1] = grey ? v : (byte)rng.Next(256);
            bgra[4 * p + 2] = grey ? v : (byte)(255 - v);
            bgra[4 * p + 3] = 255;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
        image.Save(path);
    }

    /// <summary>
    /// A class-subfolder image folder of real PNG and JPEG files: <paramref name="perClass"/> Fashion-MNIST 28x28 grey PNGs
    /// per class (first <paramref name="classes"/> classes) plus, in every class, colour and grey images of other sizes.
    /// </summary>
    public static string MixedFolder(int perClass = 12, int classes = 3)
    {
        var dir = Directory.CreateTempSubdirectory("kshotnas-mixed-").FullName;
        ImageData.ExportPng(null, DataSplit.Train, dir, perClass);
        var kept = Directory.GetDirectories(dir).Order(StringComparer.Ordinal).ToList();
        foreach (var extra in kept.Skip(classes)) Directory.Delete(extra, recursive: true);
        var seed = 0;
        foreach (var folder in kept.Take(classes))
        {
            Write(Path.Combine(folder, "wide-colour.png"), 40, 33, grey: false, seed++);
            Write(Path.Combine(folder, "small-colour.jpg"), 20, 20, grey: false, seed++);
            Write(Path.Combine(folder, "big-grey.jpg"), 64, 48, grey: true, seed++);
        }
        return dir;
    }

    /// <summary>Damaged files, each a different way (name -> bytes), made from a real PNG and JPEG.</summary>
    public static Dictionary<string, byte[]> Damaged(string scratch)
    {
        Write(Path.Combine(scratch, "ok.png"), 30, 30, grey: false, 1);
        Write(Path.Combine(scratch, "ok.jpg"), 30, 30, grey: false, 2);
        var png = File.ReadAllBytes(Path.Combine(scratch, "ok.png"));
        var jpg = File.ReadAllBytes(Path.Combine(scratch, "ok.jpg"));
        File.Delete(Path.Combine(scratch, "ok.png"));
        File.Delete(Path.Combine(scratch, "ok.jpg"));
        return new Dictionary<string, byte[]>
        {
            ["zero.png"] = [],
            ["truncated.png"] = png[..(png.Length / 2)],
            ["truncated.jpg"] = jpg[..(jpg.Length / 2)],
            ["text.png"] = "this is not an image"u8.ToArray(),
            ["huge.png"] = HugePng(png, 30_000, 30_000),
        };
    }

    /// <summary>A tiny PNG whose header (with a valid CRC) claims <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static byte[] HugePng(byte[] png, int width, int height)
    {
        var bytes = (byte[])png.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        // IHDR: length at 8, type at 12, 13 data bytes at 16, CRC over type + data at 29.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    /// <summary>A JPEG whose first frame header claims <paramref name="width"/> x <paramref name="height"/>; null when none is found.</summary>
    public static byte[]? HugeJpeg(byte[] jpg, int width, int height)
    {
        var bytes = (byte[])jpg.Clone();
        for (var i = 2; i + 9 < bytes.Length; i++)
            if (bytes[i] == 0xFF && bytes[i + 1] is 0xC0 or 0xC1 or 0xC2)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 5), (ushort)height);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 7), (ushort)width);
                return bytes;
            }
        return null;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
