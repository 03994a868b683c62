using CudaBert.Engine;

namespace CudaBert.Model.Bert;

/// <summary>
/// Turns a padding mask (1 = token, 0 = padding) into the additive mask that attention adds to its
/// scores before the softmax: 0 where a key may be attended, the dtype's most negative finite value
/// where it may not, as Hugging Face does (exp of it underflows to exactly 0).
/// </summary>
public static class AttentionMask
{
    /// <summary>
    /// [B, S] 1/0 (any dtype the device can cast to <paramref name="dtype"/>) → [B, S] additive mask of
    /// <paramref name="dtype"/> on the same device, computed there as mask·(−min) + min: exactly 0 for a
    /// token (−min + min) and min for padding. No values are read back to the host.
    /// </summary>
    public static Tensor ToAdditive(Tensor paddingMask, DType dtype)
    {
        if (paddingMask.Rank != 2)
            throw new ArgumentException($"attention mask {paddingMask.Shape} must be [batch, seq]");
        double min = dtype switch
        {
            DType.Float32 => float.MinValue,
            DType.Float64 => double.MinValue,
            _ => throw new ArgumentException($"attention mask: the additive mask must be Float32 or Float64, not {dtype}", nameof(dtype)),
        };
        var keep = paddingMask.DType == dtype ? paddingMask : paddingMask.To(dtype);
        using var scaled = Ops.Scale(keep, -min);
        using var floor = Tensor.Full(paddingMask.Shape, min, dtype, paddingMask.Device);
        var additive = Ops.Add(scaled, floor);
        if (!ReferenceEquals(keep, paddingMask)) keep.Dispose();
        return additive;
    }

    /// <summary>A [B, S] mask of ones of <paramref name="dtype"/> (no padding).</summary>
    public static Tensor AllTokens(int batch, int seq, DType dtype, Device device) => Tensor.Ones([batch, seq], dtype, device);
}
