using CudaBert.Engine;

namespace CudaBert.Model.Bert;

/// <summary>
/// Turns a padding mask (1 = token, 0 = padding) into the additive mask that attention adds to its
/// scores before the softmax: 0 where a key may be attended, the dtype's most negative finite value
/// where it may not, as Hugging Face does (exp of it underflows to exactly 0).
/// </summary>
public static class AttentionMask
{
    /// <summary>[B, S] 1/0 (any dtype) → [B, S] additive mask of <paramref name="dtype"/>.</summary>
    public static Tensor ToAdditive(Tensor paddingMask, DType dtype)
    {
        if (paddingMask.Rank != 2)
            throw new ArgumentException($"attention mask {paddingMask.Shape} must be [batch, seq]");
        double blocked = dtype == DType.Float64 ? double.MinValue : float.MinValue;
        double[] keep = paddingMask.ToDoubleArray();
        var additive = Array.ConvertAll(keep, k => k != 0 ? 0.0 : blocked);
        var result = Tensor.FromArray(additive, paddingMask.Shape, device: paddingMask.Device);
        return dtype == DType.Float64 ? result : result.To(dtype);
    }

    /// <summary>A [B, S] mask of ones of <paramref name="dtype"/> (no padding).</summary>
    public static Tensor AllTokens(int batch, int seq, DType dtype, Device device) => Tensor.Ones([batch, seq], dtype, device);
}
