namespace CudaBert.Engine;

// Fused ops: one primitive forward for what would otherwise be a chain of ops, and one backward rule.
// On the CPU each gives the same bits as its chain, forward and backward.
public static partial class Ops
{
    /// <summary>
    /// GELU(x·Wᵀ + b) (exact erf form), equal to <c>Gelu(Linear(x, weight, bias))</c>: x [..., in],
    /// weight [out, in], bias [out]; result [..., out]. When a gradient is wanted the pre-activation
    /// z = x·Wᵀ + b is saved for GELU's derivative (as the separate ops keep it, so no extra memory;
    /// recomputing it would cost a second GEMM in the backward).
    /// </summary>
    public static Tensor LinearGelu(Tensor x, Tensor weight, Tensor bias)
    {
        CheckLinear("linear_gelu", x, weight, bias);
        int outFeatures = weight.Shape[0];
        int[] outDims = [.. x.Shape.Dims[..^1], outFeatures];
        var y = Tensor.Empty(outDims, x.DType, x.Device);
        var z = ShouldRecord(x, weight, bias) ? Tensor.Empty(outDims, x.DType, x.Device) : null;
        y.Backend.LinearBiasGelu(x, weight, bias, z, y);
        if (z is null) return y;
        return Record(y, "linear_gelu", [x, weight, bias], dy =>
        {
            var dz = EmptyLike(z);
            dz.Backend.GeluBackward(z, dy, dz);                                                          // dz = dy·GELU′(z)
            return LinearGradients(dz, x, weight, bias);
        });
    }

    /// <summary>
    /// LayerNorm(dropout(x) + residual) over the last axis, equal to <c>LayerNorm(Dropout(x, p, seed, offset) + residual,
    /// weight, bias, eps)</c>; p = 0 means no dropout. x and residual have the same shape; weight and bias are
    /// [x.Shape.Last]. The sum is saved for the layer norm's backward; the dropout mask is regenerated from
    /// (seed, offset), never stored. Callers advance <paramref name="offset"/> as for <see cref="Dropout"/>.
    /// </summary>
    public static Tensor DropoutResidualLayerNorm(Tensor x, double p, ulong seed, ulong offset, Tensor residual, Tensor weight, Tensor bias, double eps = 1e-12)
    {
        CheckSameShape("dropout_residual_layer_norm", x, residual);
        CheckCompatible("dropout_residual_layer_norm", x, weight, "weight");
        CheckCompatible("dropout_residual_layer_norm", x, bias, "bias");
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        int n = x.Shape.Last;
        if (weight.Shape != new Shape(n) || bias.Shape != new Shape(n))
            throw new ArgumentException($"dropout_residual_layer_norm: weight {weight.Shape} and bias {bias.Shape} must be [{n}] for input {x.Shape}");
        var y = EmptyLike(x);
        var sum = EmptyLike(x);
        var mean = Tensor.Empty([(int)x.Shape.Rows], x.DType, x.Device);
        var rstd = Tensor.Empty([(int)x.Shape.Rows], x.DType, x.Device);
        y.Backend.DropoutResidualLayerNorm(x, p, seed, offset, residual, weight, bias, eps, sum, y, mean, rstd);
        return Record(y, "dropout_residual_layer_norm", [x, residual, weight, bias], dy =>
        {
            var dsum = EmptyLike(sum);
            var dweight = EmptyLike(weight);
            var dbias = EmptyLike(bias);
            dsum.Backend.LayerNormBackward(dy, sum, weight, mean, rstd, dsum, dweight, dbias);
            Tensor? dx = null;
            if (x.RequiresGrad)
            {
                dx = dsum;
                if (p > 0) { dx = EmptyLike(dsum); dx.Backend.Dropout(dsum, p, seed, offset, dx); }   // the same mask: dx = dropout(dsum)
            }
            return [dx, dsum, dweight, dbias];
        });
    }
}
