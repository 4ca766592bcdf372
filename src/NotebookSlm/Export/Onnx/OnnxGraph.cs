using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace NotebookSlm.Export.Onnx;

/// <summary>One graph input or output: name, element type and shape (a string is a dynamic axis).</summary>
public sealed record OnnxValue(string Name, TensorProto.Types.DataType Type, object[] Shape);

/// <summary>
/// A small builder over the ONNX protobuf types (OnnxSharp): nodes with generated names,
/// initializers from TorchSharp tensors, typed inputs and outputs with dynamic axes, and a
/// save that moves weights to an external-data file when the model would pass protobuf's
/// 2 GB limit. TorchSharp has no exporter for RoPE, GQA caches or several inputs
/// (0.107 has none at all), so graphs are written by hand with this.
/// </summary>
public sealed class OnnxGraph
{
    public const string MsDomain = "com.microsoft";
    public const int Opset = 21;

    readonly GraphProto graph;
    readonly Dictionary<string, int> counters;
    long initializerBytes;

    public OnnxGraph(string name) : this(name, []) { }

    OnnxGraph(string name, Dictionary<string, int> counters) => (graph, this.counters) = (new GraphProto { Name = name }, counters);

    /// <summary>
    /// A subgraph for an <c>If</c> branch. It shares this graph's name counters, so no name in it
    /// shadows one outside (ONNX requires names unique across scopes), and its nodes may read any
    /// value of the enclosing graph.
    /// </summary>
    public OnnxGraph Branch(string name) => new(name, counters);

    /// <summary>Declares a float value of a branch as one of its outputs (shape left to inference).</summary>
    public void BranchOutput(string value) => graph.Output.Add(new ValueInfoProto
    {
        Name = value, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
    });

    /// <summary>An <c>If</c> node choosing <paramref name="then"/> where the boolean scalar
    /// <paramref name="condition"/> holds, else <paramref name="otherwise"/>; both declare one output.</summary>
    public string If(string condition, OnnxGraph then, OnnxGraph otherwise) =>
        Node("If", [condition], attrs: new Dictionary<string, object> { ["then_branch"] = then.graph, ["else_branch"] = otherwise.graph })[0];

    public IReadOnlyList<OnnxValue> Inputs => inputs;
    public IReadOnlyList<OnnxValue> Outputs => outputs;
    readonly List<OnnxValue> inputs = [], outputs = [];

    /// <summary>A fresh tensor name with the given stem.</summary>
    public string Name(string stem)
    {
        int n = counters.GetValueOrDefault(stem) + 1;
        counters[stem] = n;
        return $"{stem}_{n}";
    }

    public string Input(string name, TensorProto.Types.DataType type, params object[] shape)
    {
        graph.Input.Add(ValueInfo(name, type, shape));
        inputs.Add(new OnnxValue(name, type, shape));
        return name;
    }

    /// <summary>Marks <paramref name="value"/> as a graph output named <paramref name="name"/>.</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] shape)
    {
        var produced = value == name ? value : Node("Identity", [value], name: name)[0];
        graph.Output.Add(ValueInfo(produced, type, shape));
        outputs.Add(new OnnxValue(name, type, shape));
    }

    /// <summary>A float graph output of unknown rank (calibration taps on intermediate tensors).</summary>
    public void OutputUnshaped(string value, string name)
    {
        var produced = Node("Identity", [value], name: name)[0];
        graph.Output.Add(new ValueInfoProto
        {
            Name = produced, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        outputs.Add(new OnnxValue(name, TensorProto.Types.DataType.Float, []));
    }

    static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (var d in shape)
            tensor.Shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                _ => throw new ArgumentException($"dimension {d} of {name} must be a string or an integer"),
            });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    /// <summary>Adds a node; returns its output names (generated unless given).</summary>
    public string[] Node(string op, IEnumerable<string> inputsOfNode, int outputCount = 1, string domain = "",
        IReadOnlyDictionary<string, object>? attrs = null, string? name = null)
    {
        var node = new NodeProto { OpType = op, Domain = domain, Name = Name(op) };
        node.Input.AddRange(inputsOfNode);
        var outs = Enumerable.Range(0, outputCount).Select(i => i == 0 && name is not null ? name : Name(op.ToLowerInvariant())).ToArray();
        node.Output.AddRange(outs);
        if (attrs is not null)
            foreach (var (k, v) in attrs) node.Attribute.Add(Attribute(k, v));
        graph.Node.Add(node);
        return outs;
    }

    /// <summary>A single-output node.</summary>
    public string Op(string op, params string[] inputsOfNode) => Node(op, inputsOfNode)[0];

    public string Op(string op, IReadOnlyDictionary<string, object> attrs, params string[] inputsOfNode) => Node(op, inputsOfNode, attrs: attrs)[0];

    static AttributeProto Attribute(string name, object value) => value switch
    {
        int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        long l => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = l },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        double d => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)d },
        string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
        long[] ls => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ls } },
        int[] iss => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { iss.Select(x => (long)x) } },
        GraphProto sub => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = sub },
        _ => throw new ArgumentException($"attribute {name}: unsupported value {value}"),
    };

    /// <summary>A constant from a TorchSharp tensor (copied, contiguous, CPU).</summary>
    public string Initializer(string name, Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        var proto = new TensorProto { Name = name, DataType = (int)ToOnnx(c.dtype) };
        proto.Dims.AddRange(c.shape);
        proto.RawData = ByteString.CopyFrom(c.bytes);
        graph.Initializer.Add(proto);
        initializerBytes += proto.RawData.Length;
        return name;
    }

    public string Int64s(string stem, params long[] values)
    {
        var proto = new TensorProto { Name = Name(stem), DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.Add(values.Length);
        proto.RawData = ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray());
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    public string ScalarFloat(string stem, float value)
    {
        var proto = new TensorProto { Name = Name(stem), DataType = (int)TensorProto.Types.DataType.Float };
        proto.RawData = ByteString.CopyFrom(BitConverter.GetBytes(value));
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A scalar constant of any element type from its little-endian bytes.</summary>
    public string Scalar(string stem, TensorProto.Types.DataType type, byte[] raw)
    {
        var proto = new TensorProto { Name = Name(stem), DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    public string ScalarInt64(string stem, long value)
    {
        var proto = new TensorProto { Name = Name(stem), DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.RawData = ByteString.CopyFrom(BitConverter.GetBytes(value));
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    public static TensorProto.Types.DataType ToOnnx(ScalarType t) => t switch
    {
        ScalarType.Float32 => TensorProto.Types.DataType.Float,
        ScalarType.Float16 => TensorProto.Types.DataType.Float16,
        ScalarType.BFloat16 => TensorProto.Types.DataType.Bfloat16,
        ScalarType.Int64 => TensorProto.Types.DataType.Int64,
        ScalarType.Int32 => TensorProto.Types.DataType.Int32,
        ScalarType.Byte => TensorProto.Types.DataType.Uint8,
        ScalarType.Int8 => TensorProto.Types.DataType.Int8,
        ScalarType.Bool => TensorProto.Types.DataType.Bool,
        _ => throw new ArgumentException($"no ONNX type for {t}"),
    };

    /// <summary>Bytes of all initializers (weights).</summary>
    public long InitializerBytes => initializerBytes;

    /// <summary>
    /// Writes <paramref name="path"/>; when the weights would pass <paramref name="externalAbove"/>
    /// bytes (protobuf messages stop at 2 GB), every initializer of 1 KiB or more goes to
    /// <c>&lt;file&gt;.data</c> beside it as ONNX external data. Both files are written through
    /// temp files and renames.
    /// </summary>
    public void Save(string path, string producer, long externalAbove = 1_800_000_000)
    {
        var model = new ModelProto
        {
            IrVersion = 10, ProducerName = producer, ProducerVersion = "1", Graph = graph,
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset }, new OperatorSetIdProto { Domain = MsDomain, Version = 1 } },
        };
        var dataPath = path + ".data";
        if (initializerBytes > externalAbove)
        {
            var location = Path.GetFileName(dataPath);
            Runtime.AtomicFile.Write(dataPath, stream =>
            {
                long offset = 0;
                foreach (var init in graph.Initializer.Where(t => t.RawData.Length >= 1024))
                {
                    init.RawData.WriteTo(stream);
                    long length = init.RawData.Length;
                    init.RawData = ByteString.Empty;
                    init.DataLocation = TensorProto.Types.DataLocation.External;
                    init.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                    init.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                    init.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString() });
                    offset += length;
                    // ONNX Runtime maps external data; 4 KiB alignment keeps every tensor page-aligned.
                    long pad = (4096 - offset % 4096) % 4096;
                    stream.Write(new byte[pad]);
                    offset += pad;
                }
            });
        }
        else if (File.Exists(dataPath)) File.Delete(dataPath);
        Runtime.AtomicFile.Write(path, stream => model.WriteTo(stream));
    }
}
