using System.Numerics;
using System.Runtime.Intrinsics;
using CudaBert.Engine.Backends;

namespace CudaBert.Engine.Cpu;

// The AdamW parameter update and global-norm gradient clipping.
public sealed partial class CpuBackend
{
    /// <summary>The reference for the multi-tensor kernel: <see cref="AdamWStep"/> of each update in turn, then its bfloat16 copy (<see cref="Cast"/>).</summary>
    public void AdamWSteps(ReadOnlySpan<AdamWUpdate> updates)
    {
        foreach (var u in updates)
        {
            AdamWStep(u.Param, u.Grad, u.ExpAvg, u.ExpAvgSq, u.Args);
            if (u.BFloat16Copy is { } copy) Cast(u.Param, copy);
        }
    }

    /// <summary>
    /// Σ g² of each tensor in double (<see cref="SumOfSquares"/>), the sums added in tensor order, the
    /// norm and factor in double; the scaling is <see cref="Scale"/> (g · (float)factor).
    /// </summary>
    public void ClipGradNorm(ReadOnlySpan<Tensor> grads, double maxNorm, Tensor norm)
    {
        if (norm.DType != DType.Float64)
            throw new ArgumentException($"{nameof(ClipGradNorm)}: the norm tensor must be Float64, got {norm.DType} {norm.Shape}");
        double sumOfSquares = 0;
        foreach (var g in grads) sumOfSquares += SumOfSquares(g);
        double total = Math.Sqrt(sumOfSquares);
        double coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1)
            foreach (var g in grads) Scale(g, coefficient, g);
        norm.AsSpan<double>()[0] = total;
    }

    /// <inheritdoc/>
    public void AdamWStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, in AdamWStepArgs args)
    {
        var a = args;
        ByFloatType(param, () => AdamW<float>(param, grad, expAvg, expAvgSq, a), () => AdamW<double>(param, grad, expAvg, expAvgSq, a), nameof(AdamWStep));
    }

    // The order of torch.optim.AdamW (single-tensor path), so results agree to rounding:
    //   θ ← θ·(1 − lr·λ)                      decoupled weight decay
    //   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
    //   θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)     ε after the square root
    private static void AdamW<T>(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWStepArgs a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T decay = Cast<T>(1 - a.LearningRate * a.WeightDecay);
        T beta1 = Cast<T>(a.Beta1), oneMinusBeta1 = Cast<T>(1 - a.Beta1);
        T beta2 = Cast<T>(a.Beta2), oneMinusBeta2 = Cast<T>(1 - a.Beta2);
        T stepSize = Cast<T>(a.LearningRate / (1 - Math.Pow(a.Beta1, a.Step)));
        T biasCorrection2Sqrt = Cast<T>(Math.Sqrt(1 - Math.Pow(a.Beta2, a.Step)));
        T eps = Cast<T>(a.Eps);
        ParallelRows(param.NumElements, 10, (first, end) =>
        {
            Span<T> p = param.AsSpan<T>(), m = expAvg.AsSpan<T>(), v = expAvgSq.AsSpan<T>();
            ReadOnlySpan<T> g = grad.AsSpan<T>();
            int i = first;
            // The same operations lane by lane (no fused multiply-add), so the vector and scalar loops give equal bits.
            for (; i + Vector256<T>.Count <= end; i += Vector256<T>.Count)
            {
                var gi = Vector256.Create(g.Slice(i));
                var pi = Vector256.Create((ReadOnlySpan<T>)p.Slice(i)) * decay;
                var mi = Vector256.Create((ReadOnlySpan<T>)m.Slice(i)) * beta1 + oneMinusBeta1 * gi;
                var vi = Vector256.Create((ReadOnlySpan<T>)v.Slice(i)) * beta2 + oneMinusBeta2 * gi * gi;
                pi -= stepSize * (mi / (Vector256.Sqrt(vi) / biasCorrection2Sqrt + Vector256.Create(eps)));
                pi.CopyTo(p.Slice(i));
                mi.CopyTo(m.Slice(i));
                vi.CopyTo(v.Slice(i));
            }
            for (; i < end; i++)
            {
                p[i] *= decay;
                m[i] = m[i] * beta1 + oneMinusBeta1 * g[i];
                v[i] = v[i] * beta2 + oneMinusBeta2 * g[i] * g[i];
                p[i] -= stepSize * (m[i] / (T.Sqrt(v[i]) / biasCorrection2Sqrt + eps));
            }
        });
    }
}
