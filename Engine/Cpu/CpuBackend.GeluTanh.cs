using System.Numerics;

namespace CudaBert.Engine.Cpu;

// GELU's tanh approximation (Hugging Face "gelu_new" / "gelu_pytorch_tanh", PyTorch's
// gelu(approximate="tanh")), evaluated in double and rounded to T once per element:
//
//   y  = ½x·(1 + t),  t = tanh(u),  u = c·(x + a·x³),  c = √(2/π),  a = 0.044715
//   dy/dx = ½(1 + t) + ½x·(1 − t²)·c·(1 + 3a·x²)
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
            for (int i = first; i < end; i++)
            {
                double v = double.CreateTruncating(xs[i]);
                double t = Math.Tanh(GeluTanhScale * (v + GeluTanhCubic * v * v * v));
                ys[i] = Cast<T>(0.5 * v * (1.0 + t));
            }
        });

    private static void GeluTanhBackward<T>(Tensor x, Tensor dy, Tensor dx) where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelRows(x.NumElements, 50, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>(), dys = dy.AsSpan<T>();
            Span<T> dxs = dx.AsSpan<T>();
            for (int i = first; i < end; i++)
            {
                double v = double.CreateTruncating(xs[i]);
                double t = Math.Tanh(GeluTanhScale * (v + GeluTanhCubic * v * v * v));
                double derivative = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * GeluTanhScale * (1.0 + 3.0 * GeluTanhCubic * v * v);
                dxs[i] = Cast<T>(double.CreateTruncating(dys[i]) * derivative);
            }
        });
}
