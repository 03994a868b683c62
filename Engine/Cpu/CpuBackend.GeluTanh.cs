using System.Numerics;
using System.Runtime.Intrinsics;

namespace CudaBert.Engine.Cpu;

// GELU's tanh approximation (Hugging Face "gelu_new" / "gelu_pytorch_tanh", PyTorch's
// gelu(approximate="tanh")):
//
//   y = ½x·(1 + tanh(u)),  u = c·(x + a·x³),  c = √(2/π),  a = 0.044715
//
// Since ½(1 + tanh(u)) = σ(2u) = 1/(1 + e^(−2u)), we evaluate y = x·s with s = σ(2u): one exp and
// no cancellation where tanh(u) ≈ −1 (x very negative: e^(−2u) overflows to ∞, s to 0, y to −0).
// The derivative is ½(1 + t) + ½x·(1 − t²)·u′ = s + 2x·s·(1 − s)·u′ with u′ = c·(1 + 3a·x²).
// Computed in double, four elements per step (Vector256.Exp), and rounded to T once.
public sealed partial class CpuBackend
{
    private const double GeluTanhScale = 0.79788456080286536, GeluTanhCubic = 0.044715;

    public void GeluTanh(Tensor x, Tensor y) =>
        ByFloatType(y, () => GeluTanh<float>(x, y), () => GeluTanh<double>(x, y), nameof(GeluTanh));

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
