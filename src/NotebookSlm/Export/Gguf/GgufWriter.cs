using System.Text;

namespace NotebookSlm.Export.Gguf;

/// <summary>GGUF metadata value types (gguf_type), as numbered in the file.</summary>
public enum GgufType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>The tensor storage types this project writes (ggml_type numbering).</summary>
public enum GgmlType : uint { F32 = 0, F16 = 1 }

/// <summary>One metadata entry: a scalar, a string, or an array (<see cref="Value"/> is then a
/// typed .NET array and <see cref="ElementType"/> says how each element is stored).</summary>
public sealed record GgufValue(GgufType Type, object Value, GgufType ElementType = GgufType.UInt8);

/// <summary>A tensor as the file describes it. <see cref="Shape"/> is row-major (outermost
/// first, as TorchSharp writes it); the file stores ggml's <c>ne</c>, the reverse.</summary>
public sealed record GgufTensorInfo(string Name, long[] Shape, GgmlType Type, ulong Offset)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
    public long Bytes => Elements * Gguf.ElementBytes(Type);
}

public static class Gguf
{
    public const uint Magic = 0x46554747;   // "GGUF" read as a little-endian uint32
    public const uint Version = 3;
    public const int DefaultAlignment = 32;

    public static int ElementBytes(GgmlType t) => t switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unsupported ggml type"),
    };

    internal static long Align(long x, int alignment) => (x + alignment - 1) / alignment * alignment;
}

/// <summary>
/// Writes a GGUF v3 file: header, typed metadata, tensor infos, then the tensor data, each tensor
/// starting on a multiple of <c>general.alignment</c> (32 unless set) from the start of the data
/// section. Little endian throughout (BinaryWriter is, on every platform .NET runs on).
/// Tensor bytes are produced on demand while writing, so a 1.3 GB fp32 model is never held twice.
/// </summary>
public sealed class GgufWriter
{
    readonly List<(string Key, GgufValue Value)> metadata = [];
    readonly List<(string Name, long[] Shape, GgmlType Type, Func<byte[]> Data)> tensors = [];

    public int Alignment { get; private set; } = Gguf.DefaultAlignment;

    public GgufWriter Add(string key, GgufValue value)
    {
        if (metadata.Any(m => m.Key == key)) throw new ArgumentException($"metadata key '{key}' set twice");
        if (key == "general.alignment")
        {
            int a = Convert.ToInt32(value.Value);
            if (a <= 0 || (a & (a - 1)) != 0) throw new ArgumentException($"general.alignment must be a power of two (got {a})");
            Alignment = a;
        }
        metadata.Add((key, value));
        return this;
    }

    public GgufWriter Add(string key, string value) => Add(key, new GgufValue(GgufType.String, value));
    public GgufWriter Add(string key, uint value) => Add(key, new GgufValue(GgufType.UInt32, value));
    public GgufWriter Add(string key, int value) => Add(key, new GgufValue(GgufType.Int32, value));
    public GgufWriter Add(string key, float value) => Add(key, new GgufValue(GgufType.Float32, value));
    public GgufWriter Add(string key, bool value) => Add(key, new GgufValue(GgufType.Bool, value));
    public GgufWriter Add(string key, ulong value) => Add(key, new GgufValue(GgufType.UInt64, value));
    public GgufWriter Add(string key, double value) => Add(key, new GgufValue(GgufType.Float64, value));
    public GgufWriter Add(string key, string[] values) => Add(key, new GgufValue(GgufType.Array, values, GgufType.String));
    public GgufWriter Add(string key, float[] values) => Add(key, new GgufValue(GgufType.Array, values, GgufType.Float32));
    public GgufWriter Add(string key, int[] values) => Add(key, new GgufValue(GgufType.Array, values, GgufType.Int32));

    /// <summary>Adds a tensor of row-major <paramref name="shape"/>; <paramref name="data"/> returns
    /// its little-endian bytes when the writer reaches it.</summary>
    public GgufWriter AddTensor(string name, long[] shape, GgmlType type, Func<byte[]> data)
    {
        if (tensors.Any(t => t.Name == name)) throw new ArgumentException($"tensor '{name}' added twice");
        if (shape.Length is < 1 or > 4) throw new ArgumentException($"tensor '{name}': ggml tensors have 1 to 4 dimensions (got {shape.Length})");
        tensors.Add((name, shape, type, data));
        return this;
    }

    public GgufWriter AddTensor(string name, long[] shape, float[] values) =>
        AddTensor(name, shape, GgmlType.F32, () => Bytes(values));

    public GgufWriter AddTensor(string name, long[] shape, Half[] values) =>
        AddTensor(name, shape, GgmlType.F16, () => Bytes(values));

    public static byte[] Bytes(float[] v) { var b = new byte[v.Length * 4]; Buffer.BlockCopy(v, 0, b, 0, b.Length); return b; }
    public static byte[] Bytes(Half[] v) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and renames it, so a
    /// reader never sees half a model.</summary>
    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.tmp{Environment.ProcessId}");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: false))
                Write(w);
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    void Write(BinaryWriter w)
    {
        w.Write(Gguf.Magic);
        w.Write(Gguf.Version);
        w.Write((ulong)tensors.Count);
        w.Write((ulong)metadata.Count);
        foreach (var (key, value) in metadata)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value);
        }
        long offset = 0;
        foreach (var t in tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Shape.Length);
            for (int i = t.Shape.Length - 1; i >= 0; i--) w.Write((ulong)t.Shape[i]);   // ggml ne: innermost first
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset = Gguf.Align(offset + Elements(t.Shape) * Gguf.ElementBytes(t.Type), Alignment);
        }
        Pad(w);
        foreach (var t in tensors)
        {
            var bytes = t.Data();
            long expected = Elements(t.Shape) * Gguf.ElementBytes(t.Type);
            if (bytes.Length != expected)
                throw new InvalidDataException($"tensor '{t.Name}': {bytes.Length} bytes for shape [{string.Join(", ", t.Shape)}] of {t.Type} (expected {expected})");
            w.Write(bytes);
            Pad(w);   // dataStart is aligned, so absolute alignment is alignment within the data section

        }
    }

    static long Elements(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    void Pad(BinaryWriter w)
    {
        long pos = w.BaseStream.Position;
        long target = Gguf.Align(pos, Alignment);
        for (long i = pos; i < target; i++) w.Write((byte)0);
    }

    static void WriteString(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    static void WriteValue(BinaryWriter w, GgufValue v)
    {
        if (v.Type == GgufType.Array)
        {
            var items = (System.Array)v.Value;
            w.Write((uint)v.ElementType);
            w.Write((ulong)items.Length);
            foreach (var item in items) WriteScalar(w, v.ElementType, item!);
        }
        else WriteScalar(w, v.Type, v.Value);
    }

    static void WriteScalar(BinaryWriter w, GgufType type, object x)
    {
        switch (type)
        {
            case GgufType.UInt8: w.Write(Convert.ToByte(x)); break;
            case GgufType.Int8: w.Write(Convert.ToSByte(x)); break;
            case GgufType.UInt16: w.Write(Convert.ToUInt16(x)); break;
            case GgufType.Int16: w.Write(Convert.ToInt16(x)); break;
            case GgufType.UInt32: w.Write(Convert.ToUInt32(x)); break;
            case GgufType.Int32: w.Write(Convert.ToInt32(x)); break;
            case GgufType.Float32: w.Write(Convert.ToSingle(x)); break;
            case GgufType.Bool: w.Write((byte)(Convert.ToBoolean(x) ? 1 : 0)); break;
            case GgufType.String: WriteString(w, (string)x); break;
            case GgufType.UInt64: w.Write(Convert.ToUInt64(x)); break;
            case GgufType.Int64: w.Write(Convert.ToInt64(x)); break;
            case GgufType.Float64: w.Write(Convert.ToDouble(x)); break;
            default: throw new ArgumentException($"cannot write a {type} as a scalar (nested arrays are not supported)");
        }
    }
}
