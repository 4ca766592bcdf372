using static TorchSharp.torch;

namespace NotebookSlm.Export.Onnx;

/// <summary>Symmetric block quantization of weights for ONNX Runtime's MatMulNBits.</summary>
public static class WeightQuantization
{
    /// <summary>(N, K) fp32 to MatMulNBits' packed (N, K/32, 32*bits/8) uint8 and scales (N, K/32),
    /// symmetric: q = round(w / s) + 2^(bits-1), s = max|w| / (2^(bits-1) - 1).</summary>
    public static (Tensor Packed, Tensor Scales) Blocks(Tensor w, int bits, int block = 32)
    {
        using var scope = NewDisposeScope();
        long n = w.shape[0], k = w.shape[1], blocks = k / block;
        var wb = w.to(ScalarType.Float32).reshape(n, blocks, block);
        int qmax = (1 << (bits - 1)) - 1, zero = 1 << (bits - 1);
        var scale = wb.abs().amax([-1], keepdim: true) / qmax;
        scale = scale.masked_fill(scale.eq(0), 1.0f);
        var q = (wb / scale).round().clamp(-zero, qmax) + zero;                 // 0 .. 2^bits - 1
        var bytes = q.to(ScalarType.Byte);
        Tensor packed = bytes;
        if (bits == 4)
        {
            // Two values a byte, the lower index in the low nibble.
            var pairs = bytes.reshape(n, blocks, block / 2, 2);
            packed = (pairs.select(-1, 0) + pairs.select(-1, 1) * 16).to(ScalarType.Byte);
        }
        return (packed.contiguous().MoveToOuterDisposeScope(), scale.reshape(n * blocks).contiguous().MoveToOuterDisposeScope());
    }

}
