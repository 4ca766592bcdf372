using System.Text.Json.Serialization;
using static TorchSharp.torch;
using T = Onnx.TensorProto.Types.DataType;

namespace NotebookSlm.Export.Onnx;

/// <summary>How a static export quantizes (paper 3.4's NPU row; issue 4 point 6).</summary>
public enum QdqMode
{
    /// <summary>fp32 everywhere: the reference the quantized graphs are measured against.</summary>
    None,
    /// <summary>int8 weights (per output channel, symmetric) and uint8 activations (per tensor, asymmetric).</summary>
    A8W8,
    /// <summary>int8 weights and uint16 activations: Qualcomm's recommended form for transformer LLMs
    /// on the Hexagon NPU, since per-tensor 8-bit activations clip the outliers of residual streams.</summary>
    A16W8,
}

/// <summary>The observed range of one activation over the calibration inputs.</summary>
public readonly record struct ActivationRange(
    [property: JsonPropertyName("min")] float Min, [property: JsonPropertyName("max")] float Max)
{
    public ActivationRange Merge(float min, float max) => new(Math.Min(Min, min), Math.Max(Max, max));

    /// <summary>Asymmetric scale and zero point for <paramref name="levels"/> - 1 steps, with 0
    /// exactly representable (padding and masked values are zeros).</summary>
    public (float Scale, int ZeroPoint) Affine(int levels)
    {
        double lo = Math.Min(Min, 0), hi = Math.Max(Max, 0);
        double scale = hi - lo <= 0 ? 1e-8 : (hi - lo) / (levels - 1);
        int zero = (int)Math.Clamp(Math.Round(-lo / scale), 0, levels - 1);
        return ((float)scale, zero);
    }
}

/// <summary>
/// What <see cref="LayerEmitter"/> does at each quantization point, the input of every matrix
/// product (linear layers, attention scores and context, the LM head): record the tensor as a
/// graph output (calibration), or wrap it in QuantizeLinear / DequantizeLinear with the
/// calibrated range. Weights of linear layers become int8 initializers behind a per-channel
/// DequantizeLinear. This is the QDQ form ONNX Runtime's QNN execution provider compiles for
/// the Hexagon NPU; norms, softmax and residual adds stay in float between the pairs.
/// </summary>
internal sealed class QdqPlan(QdqMode mode, IReadOnlyDictionary<string, ActivationRange>? ranges, bool calibrating)
{
    public const string CalibrationPrefix = "calib.";
    public QdqMode Mode => mode;
    public bool Calibrating => calibrating;
    /// <summary>Every point emitted, in graph order.</summary>
    public List<string> Points { get; } = [];

    public string Activation(OnnxGraph g, string x, string point)
    {
        Points.Add(point);
        if (calibrating)
        {
            g.OutputUnshaped(x, CalibrationPrefix + point);
            return x;
        }
        if (ranges is null || !ranges.TryGetValue(point, out var range))
            throw new InvalidOperationException($"no calibrated range for quantization point '{point}': calibrate with StaticExport.Calibrate first");
        bool wide = mode == QdqMode.A16W8;
        var (scale, zero) = range.Affine(wide ? 65536 : 256);
        var s = g.ScalarFloat("act_scale", scale);
        var z = wide ? g.Scalar("act_zero", T.Uint16, BitConverter.GetBytes((ushort)zero)) : g.Scalar("act_zero", T.Uint8, [(byte)zero]);
        var q = g.Op("QuantizeLinear", x, s, z);
        return g.Op("DequantizeLinear", q, s, z);
    }

    /// <summary>x (tokens, K) times W (N, K) stored as int8 (K, N) with one scale per output column.</summary>
    public string Linear(OnnxGraph g, string x, string wKey, Tensor w, string? bias)
    {
        using var scope = NewDisposeScope();
        var wt = w.to(ScalarType.Float32).t().contiguous();                        // (K, N)
        var scales = wt.abs().amax([0]) / 127.0;                                    // (N)
        scales = scales.masked_fill(scales.eq(0), 1.0f);
        var q = (wt / scales).round().clamp(-127, 127).to(ScalarType.Int8);
        var weight = g.Initializer(wKey + ".int8", q);
        var dq = g.Node("DequantizeLinear", [weight, g.Initializer(wKey + ".scale", scales), g.Initializer(wKey + ".zero", zeros_like(scales, dtype: ScalarType.Int8))],
            attrs: new Dictionary<string, object> { ["axis"] = 1L })[0];
        var y = g.Op("MatMul", x, dq);
        return bias is null ? y : g.Op("Add", y, bias);
    }
}
