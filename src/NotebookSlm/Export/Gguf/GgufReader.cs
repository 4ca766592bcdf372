using System.Text;

namespace NotebookSlm.Export.Gguf;

/// <summary>
/// Reads back what <see cref="GgufWriter"/> writes (and any GGUF v2/v3 file with f32/f16 tensors):
/// metadata into typed .NET values, tensor infos with row-major shapes, and tensor bytes on request.
/// Used by tests and to check exports; not a loader for inference.
/// </summary>
public sealed class GgufReader
{
    public string Path { get; }
    public uint Version { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    public int Alignment { get; }
    /// <summary>Absolute file offset of the data section.</summary>
    public long DataStart { get; }

    GgufReader(string path, uint version, Dictionary<string, GgufValue> metadata, List<GgufTensorInfo> tensors, int alignment, long dataStart)
    {
        Path = path; Version = version; Metadata = metadata; Tensors = tensors; Alignment = alignment; DataStart = dataStart;
    }

    public static GgufReader Open(string path)
    {
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        if (r.ReadUInt32() != Gguf.Magic) throw new InvalidDataException($"{path}: not a GGUF file (bad magic)");
        uint version = r.ReadUInt32();
        if (version is < 2 or > 3) throw new InvalidDataException($"{path}: GGUF version {version} is not supported");
        ulong tensorCount = r.ReadUInt64(), kvCount = r.ReadUInt64();
        var metadata = new Dictionary<string, GgufValue>();
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = ReadString(r);
            var type = (GgufType)r.ReadUInt32();
            metadata[key] = ReadValue(r, type);
        }
        int alignment = metadata.TryGetValue("general.alignment", out var a) ? Convert.ToInt32(a.Value) : Gguf.DefaultAlignment;
        var tensors = new List<GgufTensorInfo>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = ReadString(r);
            uint dims = r.ReadUInt32();
            var ne = new long[dims];
            for (int d = 0; d < dims; d++) ne[d] = (long)r.ReadUInt64();
            var type = (GgmlType)r.ReadUInt32();
            ulong offset = r.ReadUInt64();
            if (offset % (ulong)alignment != 0) throw new InvalidDataException($"{path}: tensor '{name}' at offset {offset} is not aligned to {alignment}");
            tensors.Add(new GgufTensorInfo(name, ne.Reverse().ToArray(), type, offset));
        }
        long dataStart = Gguf.Align(stream.Position, alignment);
        foreach (var t in tensors)
            if (dataStart + (long)t.Offset + t.Bytes > stream.Length)
                throw new InvalidDataException($"{path}: tensor '{t.Name}' runs past the end of the file");
        return new GgufReader(path, version, metadata, tensors, alignment, dataStart);
    }

    public GgufTensorInfo Tensor(string name) =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"{Path}: no tensor '{name}'");

    public byte[] ReadBytes(string name)
    {
        var t = Tensor(name);
        using var stream = File.OpenRead(Path);
        stream.Seek(DataStart + (long)t.Offset, SeekOrigin.Begin);
        var bytes = new byte[t.Bytes];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A tensor's elements as fp32 (f16 widened).</summary>
    public float[] ReadFloats(string name)
    {
        var t = Tensor(name);
        var bytes = ReadBytes(name);
        var result = new float[t.Elements];
        if (t.Type == GgmlType.F32) Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
        else
        {
            var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(bytes);
            for (int i = 0; i < result.Length; i++) result[i] = (float)halves[i];
        }
        return result;
    }

    /// <summary>A metadata value as <typeparamref name="T"/> (string, uint, float, string[], ...).</summary>
    public T Get<T>(string key) =>
        Metadata.TryGetValue(key, out var v) ? (T)v.Value : throw new KeyNotFoundException($"{Path}: no metadata key '{key}'");

    static string ReadString(BinaryReader r)
    {
        ulong n = r.ReadUInt64();
        if (n > int.MaxValue) throw new InvalidDataException($"string of {n} bytes");
        return Encoding.UTF8.GetString(r.ReadBytes((int)n));
    }

    static GgufValue ReadValue(BinaryReader r, GgufType type)
    {
        if (type != GgufType.Array) return new GgufValue(type, ReadScalar(r, type));
        var element = (GgufType)r.ReadUInt32();
        ulong n = r.ReadUInt64();
        System.Array items = element switch
        {
            GgufType.String => new string[n], GgufType.Float32 => new float[n], GgufType.Int32 => new int[n],
            GgufType.UInt32 => new uint[n], GgufType.UInt8 => new byte[n], GgufType.Int8 => new sbyte[n],
            GgufType.UInt16 => new ushort[n], GgufType.Int16 => new short[n], GgufType.Bool => new bool[n],
            GgufType.UInt64 => new ulong[n], GgufType.Int64 => new long[n], GgufType.Float64 => new double[n],
            _ => throw new InvalidDataException($"array of {element} is not supported"),
        };
        for (ulong i = 0; i < n; i++) items.SetValue(ReadScalar(r, element), (long)i);
        return new GgufValue(GgufType.Array, items, element);
    }

    static object ReadScalar(BinaryReader r, GgufType type) => type switch
    {
        GgufType.UInt8 => r.ReadByte(),
        GgufType.Int8 => r.ReadSByte(),
        GgufType.UInt16 => r.ReadUInt16(),
        GgufType.Int16 => r.ReadInt16(),
        GgufType.UInt32 => r.ReadUInt32(),
        GgufType.Int32 => r.ReadInt32(),
        GgufType.Float32 => r.ReadSingle(),
        GgufType.Bool => r.ReadByte() != 0,
        GgufType.String => ReadString(r),
        GgufType.UInt64 => r.ReadUInt64(),
        GgufType.Int64 => r.ReadInt64(),
        GgufType.Float64 => r.ReadDouble(),
        _ => throw new InvalidDataException($"unknown GGUF value type {(uint)type}"),
    };
}
