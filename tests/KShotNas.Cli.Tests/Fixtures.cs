using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace KShotNas.Cli.Tests;

/// <summary>Tiny runs and hand-made damaged files the fault-injection tests share.</summary>
public static class Fixtures
{
    /// <summary>Tiny supernet training: 256 images, batch 32 (8 steps an epoch), one thread (deterministic).</summary>
    public static readonly string[] TinyTraining = ["--train-images", "256", "--batch-size", "32", "--threads", "1"];

    private static readonly Lazy<string> SharedCheckpoint = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "kshotnas-cli-tests", "shared-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
        };
        var runner = new CliRunner();
        var path = Path.Combine(dir, "tiny.safetensors");
        var r = runner.Run(["supernet-train", .. TinyTraining, "--epochs", "1", "--out", path]);
        if (r.ExitCode != 0) throw new InvalidOperationException("Could not train the shared tiny supernet: " + r);
        runner.Dispose();
        return path;
    });

    /// <summary>A one-epoch tiny supernet checkpoint, trained once per test run (never modify it: copy it).</summary>
    public static string TinyCheckpoint => SharedCheckpoint.Value;

    /// <summary>Writes a copy of <paramref name="source"/> whose first supernet float weight is <paramref name="value"/> (e.g. NaN).</summary>
    public static void CopyWithWeight(string source, string target, float value)
    {
        var data = File.ReadAllBytes(source);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(data);
        using var header = JsonDocument.Parse(data.AsMemory(8, headerLength));
        var entry = header.RootElement.EnumerateObject()
            .First(e => e.Name.StartsWith("supernet/", StringComparison.Ordinal) && e.Value.GetProperty("dtype").GetString() == "F32");
        var offset = 8 + headerLength + (int)entry.Value.GetProperty("data_offsets")[0].GetInt64();
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(offset), value);
        File.WriteAllBytes(target, data);
    }

    /// <summary>
    /// A minimal ONNX model (hand-encoded protobuf): one float input [N, inShape...], one output [N, classes], produced by a
    /// single node of <paramref name="opType"/> in <paramref name="domain"/> (Flatten reshapes; an unknown op makes ONNX Runtime refuse it).
    /// </summary>
    public static byte[] OnnxModel(long[] inShape, long classes, string opType = "Flatten", string domain = "")
    {
        static byte[] Tensor(long[] dims)
        {
            var shape = new Pb();
            shape.Message(1, new Pb().Text(2, "N").Bytes()); // symbolic batch dimension
            foreach (var d in dims) shape.Message(1, new Pb().Int(1, d).Bytes());
            var tensorType = new Pb().Int(1, 1 /* FLOAT */).Message(2, shape.Bytes());
            return new Pb().Message(1, tensorType.Bytes()).Bytes();
        }
        var node = new Pb().Text(1, "x").Text(2, "y").Text(3, "n0").Text(4, opType);
        if (domain.Length > 0) node.Text(7, domain);
        var graph = new Pb().Message(1, node.Bytes()).Text(2, "g")
            .Message(11, new Pb().Text(1, "x").Message(2, Tensor(inShape)).Bytes())
            .Message(12, new Pb().Text(1, "y").Message(2, Tensor([classes])).Bytes());
        var model = new Pb().Int(1, 7).Message(7, graph.Bytes()).Message(8, new Pb().Text(1, "").Int(2, 13).Bytes());
        if (domain.Length > 0) model.Message(8, new Pb().Text(1, domain).Int(2, 1).Bytes());
        return model.Bytes();
    }

    /// <summary>Just enough protobuf encoding for <see cref="OnnxModel"/>.</summary>
    private sealed class Pb
    {
        private readonly MemoryStream _s = new();

        public Pb Int(int field, long value)
        {
            Varint((ulong)(field << 3));
            Varint((ulong)value);
            return this;
        }

        public Pb Text(int field, string value) => Message(field, Encoding.UTF8.GetBytes(value));

        public Pb Message(int field, byte[] bytes)
        {
            Varint((ulong)((field << 3) | 2));
            Varint((ulong)bytes.Length);
            _s.Write(bytes);
            return this;
        }

        public byte[] Bytes() => _s.ToArray();

        private void Varint(ulong v)
        {
            while (v >= 0x80)
            {
                _s.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }
            _s.WriteByte((byte)v);
        }
    }
}
