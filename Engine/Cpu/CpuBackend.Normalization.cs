using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Layer normalisation over the last axis.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void LayerNorm(Tensor x, Tensor gamma, Tensor beta, double eps, Tensor y, Tensor mean, Tensor rstd) =>
        ByFloatType(x, () => LayerNorm<float>(x, gamma, beta, eps, y, mean, rstd), () => LayerNorm<double>(x, gamma, beta, eps, y, mean, rstd), nameof(LayerNorm));

    private static void LayerNorm<T>(Tensor x, Tensor gamma, Tensor beta, double eps, Tensor y, Tensor mean, Tensor rstd) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Shape.Last;
        T count = T.CreateTruncating(n);
        ParallelRows(x.Shape.Rows, 5L * n, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>(), g = gamma.AsSpan<T>(), b = beta.AsSpan<T>();
            Span<T> ys = y.AsSpan<T>(), means = mean.AsSpan<T>(), rstds = rstd.AsSpan<T>();
            for (int r = first; r < end; r++)
            {
                (means[r], rstds[r]) = LayerNormRow(xs.Slice(r * n, n), g, b, count, eps, ys.Slice(r * n, n));
            }
        });
    }

    /// <summary>Normalises one row <paramref name="xr"/> into <paramref name="yr"/> (x̂·γ + β); returns its μ and rstd.</summary>
    internal static (T Mean, T Rstd) LayerNormRow<T>(ReadOnlySpan<T> xr, ReadOnlySpan<T> g, ReadOnlySpan<T> b, T count, double eps, Span<T> yr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T mu = TensorPrimitives.Sum(xr) / count;
        TensorPrimitives.Subtract(xr, mu, yr);                        // y ← x − μ
        T variance = TensorPrimitives.SumOfSquares<T>(yr) / count;  // biased, as BERT and PyTorch
        T inv = T.One / T.Sqrt(variance + Cast<T>(eps));
        TensorPrimitives.Multiply(yr, inv, yr);                       // y ← x̂
        TensorPrimitives.FusedMultiplyAdd(yr, g, b, yr);              // y ← x̂·γ + β
        return (mu, inv);
    }

    /// <inheritdoc/>
    public void LayerNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta) =>
        ByFloatType(x, () => LayerNormBackward<float>(dy, x, gamma, mean, rstd, dx, dgamma, dbeta),
            () => LayerNormBackward<double>(dy, x, gamma, mean, rstd, dx, dgamma, dbeta), nameof(LayerNormBackward));

    // With x̂ = (x − μ)·rstd and g = dy·γ (the gradient w.r.t. x̂), differentiating μ and rstd
    // through their definitions gives, per row of n elements:
    //   dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)),   dγ = Σ_rows dy ⊙ x̂,   dβ = Σ_rows dy.
    private static void LayerNormBackward<T>(Tensor dy, Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Shape.Last;
        T count = T.CreateTruncating(n);
        // dγ and dβ sum over rows: each chunk of rows keeps its own partial sums, added up in chunk
        // order afterwards, so the result does not depend on which thread finishes first.
        var partials = new SortedList<int, (T[] Gamma, T[] Beta)>();
        ParallelRows(x.Shape.Rows, 8L * n, (first, end) =>
        {
            ReadOnlySpan<T> dys = dy.AsSpan<T>(), xs = x.AsSpan<T>(), g = gamma.AsSpan<T>(), means = mean.AsSpan<T>(), rstds = rstd.AsSpan<T>();
            Span<T> dxs = dx.AsSpan<T>();
            var xhat = new T[n];
            var partialGamma = new T[n];
            var partialBeta = new T[n];
            for (int r = first; r < end; r++)
            {
                var dyr = dys.Slice(r * n, n);
                var dxr = dxs.Slice(r * n, n);
                TensorPrimitives.Subtract(xs.Slice(r * n, n), means[r], xhat);
                TensorPrimitives.Multiply(xhat, rstds[r], xhat);
                TensorPrimitives.FusedMultiplyAdd(dyr, xhat, partialGamma, partialGamma);
                TensorPrimitives.Add(partialBeta, dyr, partialBeta);
                TensorPrimitives.Multiply(dyr, g, dxr);                       // dx ← g = dy·γ
                T meanG = TensorPrimitives.Sum<T>(dxr) / count;
                T meanGXhat = TensorPrimitives.Dot<T>(dxr, xhat) / count;
                for (int j = 0; j < n; j++)
                    dxr[j] = rstds[r] * (dxr[j] - meanG - xhat[j] * meanGXhat);
            }
            lock (partials) partials.Add(first, (partialGamma, partialBeta));
        });
        dgamma.AsSpan<T>().Clear();
        dbeta.AsSpan<T>().Clear();
        foreach (var (partialGamma, partialBeta) in partials.Values)
        {
            TensorPrimitives.Add(dgamma.AsSpan<T>(), partialGamma, dgamma.AsSpan<T>());
            TensorPrimitives.Add(dbeta.AsSpan<T>(), partialBeta, dbeta.AsSpan<T>());
        }
    }
}
