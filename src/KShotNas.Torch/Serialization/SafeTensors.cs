using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace KShotNas.Torch.Serialization;

/// <summary>The file is not valid safetensors, or is truncated.</summary>
public sealed class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception naming the file and the problem.</summary>
    public SafeTensorsFormatException(string path, string problem) : base($"{path}: not a valid safetensors file: {problem}") { }
}

/// <summary>
/// A tensor holds NaN or infinite values: a diverged run's weights. Such a checkpoint is neither written nor read, so a
/// diverged run cannot pass on garbage that scores every candidate alike.
/// </summary>
public sealed class NonFiniteTensorException : IOException
{
    /// <summary>Creates the exception naming the file and the tensor.</summary>
    public NonFiniteTensorException(string path, string tensorName, string action)
        : base($"{path}: tensor '{tensorName}' holds NaN or infinite values (a diverged run); {action}")
    {
        FilePath = path;
        TensorName = tensorName;
    }

    /// <summary>The file.</summary>
    public string FilePath { get; }

    /// <summary>The first tensor found with non-finite values.</summary>
    public string TensorName { get; }
}

/// <summary>A set of named tensors plus string metadata, as read from or written to a safetensors file.</summary>
public sealed class TensorFile : IDisposable
{
    /// <summary>Wraps tensors and metadata.</summary>
    public TensorFile(Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata = null)
    {
        Tensors = tensors;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>Tensors by name.</summary>
    public Dictionary<string, Tensor> Tensors { get; }

    /// <summary>Free-form string metadata (the "__metadata__" entry).</summary>
    public Dictionary<string, string> Metadata { get; }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping names to dtype, shape and data offsets, then the raw little-endian data.
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100 << 20;

    private static string Code(DType d) => d switch
    {
        DType.Float32 => "F32", DType.Float64 => "F64", DType.Int64 => "I64", DType.Int32 => "I32",
        DType.Bool => "BOOL", DType.UInt8 => "U8", _ => throw new NotSupportedException(d.ToString()),
    };

    private static DType? FromCode(string code) => code switch
    {
        "F32" => DType.Float32, "F64" => DType.Float64, "I64" => DType.Int64, "I32" => DType.Int32,
        "BOOL" => DType.Bool, "U8" => DType.UInt8, _ => null,
    };

    /// <summary>Writes the tensors (sorted by name) atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header[MetadataKey] = metadata;
        long offset = 0;
        var entries = new List<(Tensor T, long Bytes)>();
        foreach (var name in names)
        {
            var t = tensors[name];
            var bytes = t.NumEl * t.DType.ElementSize();
            if (bytes > int.MaxValue) throw new NotSupportedException($"Tensor '{name}' is over 2 GB, which this writer does not support.");
            header[name] = new { dtype = Code(t.DType), shape = t.Shape, data_offsets = new[] { offset, offset + bytes } };
            entries.Add((t, bytes));
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = (json.Length + 7) / 8 * 8; // spaces keep the data 8-byte aligned, as the format allows
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            stream.Write(len);
            stream.Write(json);
            for (var i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            for (var i = 0; i < entries.Count; i++)
            {
                var (t, bytes) = entries[i];
                var buffer = new byte[bytes];
                t.CopyBytesTo(buffer);
                if (!AllFinite(buffer, t.DType))
                    throw new NonFiniteTensorException(path, names[i], "the checkpoint was not written (the previous file, if any, is unchanged).");
                stream.Write(buffer);
            }
        });
    }

    /// <summary>Reads only the string metadata of a safetensors file (its header), without the tensor data.</summary>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: {path}", path);
        using var stream = File.OpenRead(path);
        Span<byte> len = stackalloc byte[8];
        if (stream.ReadAtLeast(len, 8, throwOnEndOfStream: false) < 8) throw new SafeTensorsFormatException(path, "shorter than its 8-byte header length");
        var headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLen > MaxHeaderBytes || (long)headerLen > stream.Length - 8)
            throw new SafeTensorsFormatException(path, $"header length {headerLen} exceeds the file ({stream.Length} bytes)");
        var header = new byte[headerLen];
        stream.ReadExactly(header);
        var metadata = new Dictionary<string, string>();
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.TryGetProperty(MetadataKey, out var m))
                foreach (var p in m.EnumerateObject()) metadata[p.Name] = p.Value.GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new SafeTensorsFormatException(path, "malformed header: " + e.Message);
        }
        return metadata;
    }

    /// <summary>Reads a safetensors file; every malformed or truncated part raises <see cref="SafeTensorsFormatException"/>.</summary>
    public static TensorFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: {path}", path);
        var data = File.ReadAllBytes(path);
        if (data.Length < 8) throw new SafeTensorsFormatException(path, $"only {data.Length} bytes, the header length alone needs 8");
        var headerLen = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (headerLen > MaxHeaderBytes || (long)headerLen > data.Length - 8)
            throw new SafeTensorsFormatException(path, $"header length {headerLen} exceeds the file ({data.Length} bytes)");
        var dataStart = 8 + (long)headerLen;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(data.AsMemory(8, (int)headerLen)); }
        catch (JsonException e) { throw new SafeTensorsFormatException(path, "header is not JSON: " + e.Message); }

        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        try
        {
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SafeTensorsFormatException(path, "header is not a JSON object");
                foreach (var entry in doc.RootElement.EnumerateObject())
                {
                    if (entry.Name == MetadataKey)
                    {
                        foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                        continue;
                    }
                    tensors[entry.Name] = ReadTensor(path, entry, data, dataStart);
                }
            }
        }
        catch (Exception e) when (e is not SafeTensorsFormatException and not NonFiniteTensorException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new SafeTensorsFormatException(path, "malformed header: " + e.Message);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return new TensorFile(tensors, metadata);
    }

    private static Tensor ReadTensor(string path, JsonProperty entry, byte[] data, long dataStart)
    {
        var v = entry.Value;
        var code = v.GetProperty("dtype").GetString() ?? "";
        var dtype = FromCode(code) ?? throw new SafeTensorsFormatException(path, $"tensor '{entry.Name}' has unsupported dtype '{code}'");
        var shape = v.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var offsets = v.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
            throw new SafeTensorsFormatException(path, $"tensor '{entry.Name}' has bad data offsets");
        var expected = shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize();
        if (offsets[1] - offsets[0] != expected)
            throw new SafeTensorsFormatException(path, $"tensor '{entry.Name}' spans {offsets[1] - offsets[0]} bytes, its shape needs {expected}");
        if (dataStart + offsets[1] > data.Length)
            throw new SafeTensorsFormatException(path, $"tensor '{entry.Name}' ends past the end of the file (truncated?)");
        var bytes = data.AsSpan((int)(dataStart + offsets[0]), (int)expected);
        if (!AllFinite(bytes, dtype))
            throw new NonFiniteTensorException(path, entry.Name, "the file is refused; retrain (with a lower --lr or --clip) or use an earlier checkpoint.");
        return Tensor.FromBytes(bytes, shape, dtype);
    }

    /// <summary>True unless a floating-point tensor's raw little-endian data holds a NaN or an infinity.</summary>
    public static bool AllFinite(ReadOnlySpan<byte> data, DType dtype)
    {
        switch (dtype)
        {
            case DType.Float32:
                foreach (var v in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data))
                    if (!float.IsFinite(v)) return false;
                return true;
            case DType.Float64:
                foreach (var v in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(data))
                    if (!double.IsFinite(v)) return false;
                return true;
            default:
                return true;
        }
    }
}
