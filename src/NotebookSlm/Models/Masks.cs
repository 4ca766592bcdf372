using static TorchSharp.torch;

namespace NotebookSlm.Models;

/// <summary>
/// Boolean attention masks, true where a query may attend; shapes broadcast to (B, 1, T, S).
/// </summary>
public static class Masks
{
    /// <summary>Key padding: (B, S) validity to (B, 1, 1, S).</summary>
    public static Tensor KeyPadding(Tensor keyValid) => keyValid.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1);

    /// <summary>Causal: query i (at absolute position offset + i) sees keys 0..offset + i. (1, 1, T, S),
    /// made on <paramref name="device"/> (the model's: a mask built on the host would cost a copy per forward on a GPU).</summary>
    public static Tensor Causal(long queries, long keys, long offset, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var q = arange(offset, offset + queries, dtype: ScalarType.Int64, device: device).unsqueeze(1);
        var k = arange(0, keys, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        return k.le(q).unsqueeze(0).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Causal and key-padding together, with every query also allowed to see its own key:
    /// a left-padding query would otherwise see nothing and make NaNs that reach real
    /// tokens through 0 * NaN in the value product. Real tokens are unaffected: they see
    /// themselves anyway. <paramref name="keyValid"/> is (B, S) with S = offset + T.
    /// </summary>
    public static Tensor CausalWithPadding(Tensor keyValid, long queries, long offset)
    {
        using var scope = NewDisposeScope();
        long keys = keyValid.shape[1];
        var device = keyValid.device;
        var causal = Causal(queries, keys, offset, device);
        var self = arange(offset, offset + queries, dtype: ScalarType.Int64, device: device).unsqueeze(1)
            .eq(arange(0, keys, dtype: ScalarType.Int64, device: device).unsqueeze(0)).unsqueeze(0).unsqueeze(0);
        return (causal.logical_and(KeyPadding(keyValid)).logical_or(self)).MoveToOuterDisposeScope();
    }
}
