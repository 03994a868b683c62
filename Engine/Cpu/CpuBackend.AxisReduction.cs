using System.Numerics;
using CudaBert.Engine.Backends;

namespace CudaBert.Engine.Cpu;

// Sum (and, with scale = 1/n, mean) over one axis, and its gradient. The tensor is seen as
// [outer, n, inner] (n = the axis' length): element (o, a, i) lives at (o·n + a)·inner + i, so
// reducing over a adds n rows of `inner` contiguous values for each o. Sums are accumulated in
// double and rounded to T once, after the scale, as the whole-tensor Sum does.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void SumAxis(Tensor x, int axis, double scale, Tensor y) =>
        ByFloatType(x, () => SumAxis<float>(x, axis, scale, y), () => SumAxis<double>(x, axis, scale, y), nameof(SumAxis));

    /// <inheritdoc/>
    public void SumAxisBackward(Tensor dy, int axis, double scale, Tensor dx) =>
        ByFloatType(dx, () => SumAxisBackward<float>(dy, axis, scale, dx), () => SumAxisBackward<double>(dy, axis, scale, dx), nameof(SumAxisBackward));

    // Split over o: each worker owns whole output rows, so no reduction across workers.
    private static void SumAxis<T>(Tensor x, int axis, double scale, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, n, inner) = AxisExtents.Of(x.Shape, axis);
        if (outer * inner == 0) return;
        int width = (int)inner;
        ParallelRows(outer, n * inner, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            Span<T> ys = y.AsSpan<T>();
            var sums = new double[width];
            for (int o = first; o < end; o++)
            {
                if (width == 1)
                {
                    // The last axis: one contiguous row per output.
                    double total = 0;
                    foreach (T v in xs.Slice(o * n, n)) total += double.CreateTruncating(v);
                    ys[o] = Cast<T>(scale * total);
                    continue;
                }
                Array.Clear(sums);
                for (int a = 0; a < n; a++)
                {
                    ReadOnlySpan<T> row = xs.Slice((int)(((long)o * n + a) * inner), width);
                    for (int i = 0; i < width; i++) sums[i] += double.CreateTruncating(row[i]);
                }
                Span<T> output = ys.Slice(o * width, width);
                for (int i = 0; i < width; i++) output[i] = Cast<T>(scale * sums[i]);
            }
        });
    }

    // dx[o, a, :] = scale·dy[o, :] for every a: the upstream row copied n times.
    private static void SumAxisBackward<T>(Tensor dy, int axis, double scale, Tensor dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, n, inner) = AxisExtents.Of(dx.Shape, axis);
        if (dx.NumElements == 0) return;
        int width = (int)inner;
        ParallelRows(outer, n * inner, (first, end) =>
        {
            ReadOnlySpan<T> dys = dy.AsSpan<T>();
            Span<T> dxs = dx.AsSpan<T>();
            for (int o = first; o < end; o++)
            {
                ReadOnlySpan<T> upstream = dys.Slice(o * width, width);
                for (int a = 0; a < n; a++)
                {
                    Span<T> row = dxs.Slice((int)(((long)o * n + a) * inner), width);
                    for (int i = 0; i < width; i++) row[i] = Cast<T>(scale * double.CreateTruncating(upstream[i]));
                }
            }
        });
    }
}
