using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Fused primitives: the same arithmetic as the separate primitives they replace, in the same order
// (so the results are bit-identical), with fewer passes over memory — each row is finished while it
// is still in cache instead of being swept once per primitive.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void LinearBiasGelu(Tensor x, Tensor weight, Tensor bias, Tensor? preActivation, Tensor y)
    {
        int rows = (int)x.Shape.Rows, inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        var z = preActivation ?? y;   // without a place for z, y holds it until GELU overwrites it
        Gemm(false, true, 1, rows, outFeatures, inFeatures, 1, x, weight, 0, z);
        ByFloatType(y, () => BiasGelu<float>(z, bias, y), () => BiasGelu<double>(z, bias, y), nameof(LinearBiasGelu));
    }

    /// <inheritdoc/>
    public void LinearInputGradientGelu(Tensor dy, Tensor weight, Tensor z, Tensor dz)
    {
        int rows = (int)dy.Shape.Rows, outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
        Gemm(false, false, 1, rows, inFeatures, outFeatures, 1, dy, weight, 0, dz);   // dz ← dy·W
        GeluBackward(z, dz, dz);                                                       // dz ← dz·GELU′(z), in place
    }

    // Per row: z ← z + b (as AddBias), then y = z·Φ(z) with Gelu's row code.
    private static void BiasGelu<T>(Tensor z, Tensor bias, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Shape.Last;
        ParallelRows(y.Shape.Rows, 45L * n, (first, end) =>
        {
            Span<T> zs = z.AsSpan<T>(), ys = y.AsSpan<T>();
            ReadOnlySpan<T> b = bias.AsSpan<T>();
            for (int r = first; r < end; r++)
            {
                var zr = zs.Slice(r * n, n);
                TensorPrimitives.Add(zr, b, zr);
                if (typeof(T) == typeof(float)) GeluRow(Reinterpret<T, float>(zr), Reinterpret<T, float>(ys.Slice(r * n, n)));
                else GeluRow(Reinterpret<T, double>(zr), Reinterpret<T, double>(ys.Slice(r * n, n)));
            }
        });
    }

    private static Span<TTo> Reinterpret<TFrom, TTo>(Span<TFrom> span) where TFrom : unmanaged where TTo : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(span);

    /// <inheritdoc/>
    public void DropoutResidualLayerNorm(Tensor x, double p, ulong seed, ulong offset, Tensor residual, Tensor gamma, Tensor beta, double eps,
        Tensor sum, Tensor y, Tensor mean, Tensor rstd) =>
        ByFloatType(y, () => DropoutResidualLayerNorm<float>(x, p, seed, offset, residual, gamma, beta, eps, sum, y, mean, rstd),
            () => DropoutResidualLayerNorm<double>(x, p, seed, offset, residual, gamma, beta, eps, sum, y, mean, rstd), nameof(DropoutResidualLayerNorm));

    // Per row: sum = dropout(x) + residual (Dropout's mask at the row's stream positions, then Add), then
    // LayerNorm's row code on sum.
    private static void DropoutResidualLayerNorm<T>(Tensor x, double p, ulong seed, ulong offset, Tensor residual, Tensor gamma, Tensor beta, double eps,
        Tensor sum, Tensor y, Tensor mean, Tensor rstd) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Shape.Last;
        T count = T.CreateTruncating(n);
        T keepScale = Cast<T>(1.0 / (1.0 - p));
        float threshold = (float)p;
        ParallelRows(y.Shape.Rows, 35L * n, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>(), res = residual.AsSpan<T>(), g = gamma.AsSpan<T>(), b = beta.AsSpan<T>();
            Span<T> sums = sum.AsSpan<T>(), ys = y.AsSpan<T>(), means = mean.AsSpan<T>(), rstds = rstd.AsSpan<T>();
            for (int r = first; r < end; r++)
            {
                var sr = sums.Slice(r * n, n);
                if (p > 0) Dropout(xs, seed, offset, threshold, keepScale, r * n, (r + 1) * n, sums);
                else xs.Slice(r * n, n).CopyTo(sr);
                TensorPrimitives.Add(sr, res.Slice(r * n, n), sr);
                (means[r], rstds[r]) = LayerNormRow<T>(sr, g, b, count, eps, ys.Slice(r * n, n));
            }
        });
    }
}
