using System.Buffers.Binary;
using System.IO.Compression;

namespace KShotNas.Data;

/// <summary>A data file is missing, truncated or not of the expected format; the message names the file.</summary>
public sealed class DataFormatException : IOException
{
    /// <summary>Creates the exception naming the file and the problem.</summary>
    public DataFormatException(string path, string problem, Exception? inner = null) : base($"{path}: {problem}", inner) => FilePath = path;

    /// <summary>The offending file.</summary>
    public string FilePath { get; }
}

/// <summary>Reads IDX files (the MNIST family's format), plain or gzip-compressed.</summary>
public static class IdxReader
{
    /// <summary>An IDX file of unsigned bytes: its dimensions and data.</summary>
    public sealed record IdxData(int[] Dimensions, byte[] Data);

    /// <summary>
    /// Reads an unsigned-byte IDX file. Checks the magic number, the declared dimensions against
    /// <paramref name="expectedRank"/>, and that the data is complete.
    /// </summary>
    public static IdxData ReadUnsignedBytes(string path, int expectedRank)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        byte[] raw;
        try
        {
            using var file = File.OpenRead(path);
            using var input = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            using var buffer = new MemoryStream();
            input.CopyTo(buffer);
            raw = buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, "corrupt gzip stream (the file is damaged or truncated)", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DataFormatException(path, "gzip stream ends early (truncated file)", e);
        }
        if (raw.Length < 4) throw new DataFormatException(path, $"only {raw.Length} bytes: too short for an IDX header");
        if (raw[0] != 0 || raw[1] != 0) throw new DataFormatException(path, "bad IDX magic number (first two bytes must be zero)");
        if (raw[2] != 0x08) throw new DataFormatException(path, $"IDX element type 0x{raw[2]:X2} is not unsigned byte (0x08)");
        int rank = raw[3];
        if (rank != expectedRank) throw new DataFormatException(path, $"IDX rank {rank}, expected {expectedRank}");
        var headerBytes = 4 + 4 * rank;
        if (raw.Length < headerBytes) throw new DataFormatException(path, "truncated IDX header");
        var dims = new int[rank];
        long count = 1;
        for (var i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(4 + 4 * i));
            if (dims[i] <= 0) throw new DataFormatException(path, $"dimension {i} is {dims[i]}");
            count *= dims[i];
        }
        var have = raw.Length - headerBytes;
        if (have < count) throw new DataFormatException(path, $"truncated data: header declares {count} bytes, file holds {have}");
        if (have > count) throw new DataFormatException(path, $"{have - count} unexpected trailing bytes after the data");
        return new IdxData(dims, raw.AsSpan(headerBytes).ToArray());
    }
}
