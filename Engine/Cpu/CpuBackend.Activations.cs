using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace CudaBert.Engine.Cpu;

// Activations and their gradients: exact GELU (erf), tanh, and GELU's tanh approximation
// (Hugging Face "gelu_new" / "gelu_pytorch_tanh", PyTorch's gelu(approximate="tanh")):
//
//   y = ½x·(1 + tanh(u)),  u = c·(x + a·x³),  c = √(2/π),  a = 0.044715
//
// Since ½(1 + tanh(u)) = σ(2u) = 1/(1 + e^(−2u)), we evaluate y = x·s with s = σ(2u): one exp and
// no cancellation where tanh(u) ≈ −1 (x very negative: e^(−2u) overflows to ∞, s to 0, y to −0).
// The derivative is ½(1 + t) + ½x·(1 − t²)·u′ = s + 2x·s·(1 − s)·u′ with u′ = c·(1 + 3a·x²).
// Computed in double, four elements per step (Vector256.Exp), and rounded to T once.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Gelu(Tensor x, Tensor y) => ByFloatType(y, () => GeluFloat32(x, y), () => GeluFloat64(x, y), nameof(Gelu));

    // GELU(x) = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)): the exact form BERT uses, over each chunk of elements.
    private static void GeluFloat32(Tensor x, Tensor y) =>
        ParallelRows(x.NumElements, 40, (first, end) =>
            GeluRow(x.AsSpan<float>()[first..end], y.AsSpan<float>()[first..end]));

    // float64 (the finite-difference checks): four lanes of the double-precision Erf.
    private static void GeluFloat64(Tensor x, Tensor y) =>
        ParallelRows(x.NumElements, 120, (first, end) =>
            GeluRow(x.AsSpan<double>()[first..end], y.AsSpan<double>()[first..end]));

    // ys = xs·Φ(xs) in eight float lanes of Float32NormalCdf; the tail one element at a time through
    // the same vector code (Cdf(float) is lane 0 of Cdf(Vector256)), so where a span starts never changes a bit.
    private static void GeluRow(ReadOnlySpan<float> xs, Span<float> ys)
    {
        int j = 0;
        for (; j + Vector256<float>.Count <= xs.Length; j += Vector256<float>.Count)
        {
            var v = Vector256.Create(xs.Slice(j));
            (v * Float32NormalCdf.Cdf(v)).CopyTo(ys.Slice(j));
        }
        for (; j < xs.Length; j++) ys[j] = xs[j] * Float32NormalCdf.Cdf(xs[j]);
    }

    // The same in four double lanes of NormalCdf.
    private static void GeluRow(ReadOnlySpan<double> xs, Span<double> ys)
    {
        int j = 0;
        for (; j + 4 <= xs.Length; j += 4)
        {
            var v = Vector256.Create(xs.Slice(j));
            (v * NormalCdf(v)).CopyTo(ys.Slice(j));
        }
        for (; j < xs.Length; j++) ys[j] = xs[j] * NormalCdf(xs[j]);
    }

    /// <inheritdoc/>
    public void GeluBackward(Tensor x, Tensor dy, Tensor dx) => ByFloatType(x, () => GeluBackwardFloat32(x, dy, dx), () => GeluBackwardFloat64(x, dy, dx), nameof(GeluBackward));

    // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π) the normal density.
    private static void GeluBackwardFloat32(Tensor x, Tensor dy, Tensor dx) =>
        ParallelRows(x.NumElements, 50, (first, end) =>
        {
            ReadOnlySpan<float> xs = x.AsSpan<float>(), dys = dy.AsSpan<float>();
            Span<float> dxs = dx.AsSpan<float>();
            int i = first;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(xs.Slice(i));
                var derivative = Vector256.FusedMultiplyAdd(v, Float32NormalCdf.Density(v), Float32NormalCdf.Cdf(v));
                (Vector256.Create(dys.Slice(i)) * derivative).CopyTo(dxs.Slice(i));
            }
            for (; i < end; i++) dxs[i] = dys[i] * (Float32NormalCdf.Cdf(xs[i]) + xs[i] * Float32NormalCdf.Density(xs[i]));
        });

    private static void GeluBackwardFloat64(Tensor x, Tensor dy, Tensor dx) =>
        ParallelRows(x.NumElements, 150, (first, end) =>
        {
            ReadOnlySpan<double> xs = x.AsSpan<double>(), dys = dy.AsSpan<double>();
            Span<double> dxs = dx.AsSpan<double>();
            int i = first;
            for (; i + 4 <= end; i += 4)
            {
                var v = Vector256.Create(xs.Slice(i));
                var density = Vector256.Exp(-0.5 * v * v) * InvSqrt2Pi;
                (Vector256.Create(dys.Slice(i)) * (NormalCdf(v) + v * density)).CopyTo(dxs.Slice(i));
            }
            for (; i < end; i++)
            {
                double derivative = NormalCdf(xs[i]) + xs[i] * InvSqrt2Pi * Math.Exp(-0.5 * xs[i] * xs[i]);
                dxs[i] = dys[i] * derivative;
            }
        });

    private const double Sqrt1Over2 = 0.70710678118654752, InvSqrt2Pi = 0.3989422804014327;

    private static Vector256<double> NormalCdf(Vector256<double> x) => 0.5 * (Vector256<double>.One + Erf.Evaluate(x * Sqrt1Over2));

    private static double NormalCdf(double x) => 0.5 * (1.0 + Erf.Evaluate(x * Sqrt1Over2));

    /// <inheritdoc/>
    public void Tanh(Tensor x, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Tanh<float>(x.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.Tanh<double>(x.AsSpan<double>(), y.AsSpan<double>()), nameof(Tanh));

    /// <inheritdoc/>
    public void TanhBackward(Tensor y, Tensor dy, Tensor dx) => ByFloatType(y, () => TanhBackward<float>(y, dy, dx), () => TanhBackward<double>(y, dy, dx), nameof(TanhBackward));

    private static void TanhBackward<T>(Tensor y, Tensor dy, Tensor dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> ys = y.AsSpan<T>(), dys = dy.AsSpan<T>();
        Span<T> dxs = dx.AsSpan<T>();
        for (int i = 0; i < ys.Length; i++) dxs[i] = dys[i] * (T.One - ys[i] * ys[i]);
    }


    private const double GeluTanhScale = 0.79788456080286536, GeluTanhCubic = 0.044715;

    /// <inheritdoc/>
    public void GeluTanh(Tensor x, Tensor y) =>
        ByFloatType(y, () => GeluTanh<float>(x, y), () => GeluTanh<double>(x, y), nameof(GeluTanh));

    /// <inheritdoc/>
    public void GeluTanhBackward(Tensor x, Tensor dy, Tensor dx) =>
        ByFloatType(x, () => GeluTanhBackward<float>(x, dy, dx), () => GeluTanhBackward<double>(x, dy, dx), nameof(GeluTanhBackward));

    // Each element is read before it is written, so y may be x (in-place).
    private static void GeluTanh<T>(Tensor x, Tensor y) where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelRows(x.NumElements, 40, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            Span<T> ys = y.AsSpan<T>();
            int i = first;
            for (; i + 4 <= end; i += 4)
            {
                var v = Load4(xs, i);
                Store4(ys, i, v * GeluTanhSigmoid(v));
            }
            for (; i < end; i++)
            {
                double v = double.CreateTruncating(xs[i]);
                ys[i] = Cast<T>(v * GeluTanhSigmoid(v));
            }
        });

    private static void GeluTanhBackward<T>(Tensor x, Tensor dy, Tensor dx) where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelRows(x.NumElements, 50, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>(), dys = dy.AsSpan<T>();
            Span<T> dxs = dx.AsSpan<T>();
            int i = first;
            for (; i + 4 <= end; i += 4)
            {
                var v = Load4(xs, i);
                var s = GeluTanhSigmoid(v);
                var slope = GeluTanhScale * (Vector256<double>.One + 3.0 * GeluTanhCubic * v * v);
                Store4(dxs, i, Load4(dys, i) * (s + 2.0 * v * s * (Vector256<double>.One - s) * slope));
            }
            for (; i < end; i++)
            {
                double v = double.CreateTruncating(xs[i]);
                double s = GeluTanhSigmoid(v);
                double slope = GeluTanhScale * (1.0 + 3.0 * GeluTanhCubic * v * v);
                dxs[i] = Cast<T>(double.CreateTruncating(dys[i]) * (s + 2.0 * v * s * (1.0 - s) * slope));
            }
        });

    /// <summary>s = σ(2u) = ½(1 + tanh(u)), u = c·(x + a·x³).</summary>
    private static double GeluTanhSigmoid(double x) =>
        1.0 / (1.0 + Math.Exp(-2.0 * GeluTanhScale * (x + GeluTanhCubic * x * x * x)));

    private static Vector256<double> GeluTanhSigmoid(Vector256<double> x) =>
        Vector256<double>.One / (Vector256<double>.One + Vector256.Exp(-2.0 * GeluTanhScale * (x + GeluTanhCubic * x * x * x)));

    /// <summary>Four consecutive elements widened to double.</summary>
    private static Vector256<double> Load4<T>(ReadOnlySpan<T> s, int i) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector256.Create(double.CreateTruncating(s[i]), double.CreateTruncating(s[i + 1]), double.CreateTruncating(s[i + 2]), double.CreateTruncating(s[i + 3]));

    /// <summary>Four doubles rounded once each to T and stored.</summary>
    private static void Store4<T>(Span<T> s, int i, Vector256<double> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int lane = 0; lane < 4; lane++) s[i + lane] = Cast<T>(v[lane]);
    }
}
