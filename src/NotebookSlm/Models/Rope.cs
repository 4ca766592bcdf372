using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSlm.Models;

/// <summary>
/// Rotary position embedding (Su et al.) in the released code's half-split layout
/// (<c>rotate_half</c>), with NTK base scaling beyond the training context (paper 3.1).
/// Applied to self-attention queries and keys only; cross-attention has no RoPE.
/// </summary>
public static class Rope
{
    /// <summary>
    /// NTK-aware base for a sequence of <paramref name="length"/> tokens, as released:
    /// base' = base * ((f * L / L0) - (f - 1))^(d / (d - 2)), L = max(length, L0), L0 = block size.
    /// With f = 1, or within the block size, the base is unchanged.
    /// </summary>
    public static double NtkBase(double theta, double factor, int headDim, int length, int blockSize)
    {
        if (factor <= 1.0) return theta;
        double l = Math.Max(length, blockSize);
        return theta * Math.Pow(factor * l / blockSize - (factor - 1), headDim / (headDim - 2.0));
    }

    /// <summary>Encoder positions of the released code: i - (T - 1) / 2 (integer division),
    /// so the middle token sits at 0; decoder positions start at 0.</summary>
    public static Tensor Positions(int length, int offset, bool centered, Device? device = null)
    {
        var p = arange(offset, offset + length, dtype: ScalarType.Float32, device: device);
        if (centered) p -= (length - 1) / 2;
        return p;
    }

    /// <summary>cos and sin tables, each (T, Dh), for the given float positions.</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor positions, int headDim, double @base, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // (Dh/2): inverse frequencies base^(-2i/Dh), in fp32 as released.
        // The base as a tensor on the positions' device: pow(double, Tensor) would make it on
        // the default device.
        var exponent = arange(0, headDim, 2, dtype: ScalarType.Float64, device: positions.device) / headDim;
        var invFreq = 1.0 / tensor(@base, ScalarType.Float64, positions.device).pow(exponent);
        var freqs = outer(positions.to(ScalarType.Float64), invFreq);          // (T, Dh/2)
        var emb = cat([freqs, freqs], dim: -1).to(ScalarType.Float32);           // (T, Dh)
        var cos = emb.cos().to(dtype);
        var sin = emb.sin().to(dtype);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>x * cos + rotate_half(x) * sin for x of shape (B, H, T, Dh).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], dim: -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
