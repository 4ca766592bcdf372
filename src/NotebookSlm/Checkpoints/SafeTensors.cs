using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using NotebookSlm.Runtime;

namespace NotebookSlm.Checkpoints;

/// <summary>Raised for a malformed or mismatched checkpoint; names the file and the tensor.</summary>
public sealed class CheckpointException(string message) : Exception(message);

/// <summary>One tensor entry of a safetensors header.</summary>
public sealed record SafeTensorInfo(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header of name to {dtype, shape, data_offsets} plus optional <c>__metadata__</c>, then the
/// raw little-endian tensor bytes. Read tensor by tensor straight into libtorch memory, so a
/// 4 GB file never sits twice in RAM; written to a temp file, then renamed.
/// </summary>
public static class SafeTensors
{
    static readonly Dictionary<ScalarType, string> Names = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Float64] = "F64", [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8", [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };
    static readonly Dictionary<string, ScalarType> Types = Names.ToDictionary(kv => kv.Value, kv => kv.Key);

    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        // The detached, host, contiguous views made here die with the scope (the callers' tensors
        // were made outside it and live on): without it each save left a wrapper per tensor to the
        // finalizer, 63 per training checkpoint of the micro preset (the Trainer's live-tensor test).
        using var scope = NewDisposeScope();
        var list = tensors.Select(t => (t.Name, Tensor: t.Tensor.detach().cpu().contiguous())).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        foreach (var (name, t) in list)
        {
            if (!Names.TryGetValue(t.dtype, out var dt)) throw new CheckpointException($"{path}: tensor '{name}' has unsupported dtype {t.dtype}");
            long bytes = t.NumberOfElements * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = dt,
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;   // 8-byte alignment of the data section, padded with spaces
        var headerBytes = new byte[padded];
        Array.Fill(headerBytes, (byte)' ');
        json.CopyTo(headerBytes, 0);

        AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((ulong)padded));
            stream.Write(headerBytes);
            foreach (var (_, t) in list) stream.Write(t.bytes);
        });
    }

    /// <summary>The header: tensor entries in file order, and the metadata.</summary>
    public static (IReadOnlyList<SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata, long DataStart) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path);
    }

    static (IReadOnlyList<SafeTensorInfo>, IReadOnlyDictionary<string, string>, long) ReadHeader(Stream stream, string path)
    {
        var lengthBytes = new byte[8];
        if (stream.Read(lengthBytes, 0, 8) != 8) throw new CheckpointException($"{path}: too short for a safetensors file");
        ulong n = BitConverter.ToUInt64(lengthBytes);
        if (n == 0 || n > 100_000_000 || (long)n > stream.Length - 8)
            throw new CheckpointException($"{path}: header length {n} is not plausible for a file of {stream.Length} bytes (not a safetensors file?)");
        var headerBytes = new byte[n];
        stream.ReadExactly(headerBytes);
        JsonObject root;
        try { root = JsonNode.Parse(headerBytes)!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        { throw new CheckpointException($"{path}: header is not a JSON object: {e.Message}"); }

        var meta = new Dictionary<string, string>();
        var infos = new List<SafeTensorInfo>();
        long dataLength = stream.Length - 8 - (long)n;
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) meta[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            try
            {
                var o = node!.AsObject();
                var dtype = o["dtype"]!.GetValue<string>();
                var shape = o["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                var offs = o["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > dataLength)
                    throw new CheckpointException($"{path}: tensor '{name}' field data_offsets [{string.Join(", ", offs)}] lies outside the {dataLength}-byte data section");
                infos.Add(new SafeTensorInfo(name, dtype, shape, offs[0], offs[1]));
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw new CheckpointException($"{path}: tensor '{name}' needs fields dtype (string), shape (integers) and data_offsets (two integers): {e.Message}");
            }
        }
        return (infos, meta, 8 + (long)n);
    }

    /// <summary>Reads every tensor (or those <paramref name="keep"/> accepts) into CPU tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path, Func<string, bool>? keep = null)
    {
        using var stream = File.OpenRead(path);
        var (infos, _, dataStart) = ReadHeader(stream, path);
        var result = new Dictionary<string, Tensor>();
        foreach (var info in infos)
        {
            if (keep is not null && !keep(info.Name)) continue;
            if (!Types.TryGetValue(info.DType, out var dtype))
                throw new CheckpointException($"{path}: tensor '{info.Name}' has dtype '{info.DType}'; supported: {string.Join(", ", Types.Keys)}");
            var t = empty(info.Shape, dtype: dtype);
            long expected = t.NumberOfElements * t.ElementSize;
            if (info.End - info.Begin != expected)
                throw new CheckpointException($"{path}: tensor '{info.Name}' holds {info.End - info.Begin} bytes but shape [{string.Join(", ", info.Shape)}] of {info.DType} needs {expected}");
            stream.Seek(dataStart + info.Begin, SeekOrigin.Begin);
            stream.ReadExactly(t.bytes);
            result[info.Name] = t;
        }
        return result;
    }
}
