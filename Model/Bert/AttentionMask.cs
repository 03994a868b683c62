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
    /// [B, S] 1/0 (any dtype, any device) → [B, S] additive mask of <paramref name="dtype"/> on the same
    /// device. The values are made on the host in <paramref name="dtype"/> itself and copied over, so no
    /// device needs a dtype it does not have (the CUDA backend has no Float64).
    /// </summary>
    public static Tensor ToAdditive(Tensor paddingMask, DType dtype)
    {
        if (paddingMask.Rank != 2)
            throw new ArgumentException($"attention mask {paddingMask.Shape} must be [batch, seq]");
        double[] keep = paddingMask.ToDoubleArray();
        return dtype switch
        {
            DType.Float32 => Tensor.FromArray(Array.ConvertAll(keep, k => k != 0 ? 0f : float.MinValue), paddingMask.Shape, device: paddingMask.Device),
            DType.Float64 => Tensor.FromArray(Array.ConvertAll(keep, k => k != 0 ? 0.0 : double.MinValue), paddingMask.Shape, device: paddingMask.Device),
            _ => throw new ArgumentException($"attention mask: the additive mask must be Float32 or Float64, not {dtype}", nameof(dtype)),
        };
    }

    /// <summary>A [B, S] mask of ones of <paramref name="dtype"/> (no padding).</summary>
    public static Tensor AllTokens(int batch, int seq, DType dtype, Device device) => Tensor.Ones([batch, seq], dtype, device);
}
