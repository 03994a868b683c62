using System.Runtime.Intrinsics;
using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Element-wise primitives: arithmetic and bias (GELU and tanh: CpuBackend.Activations.cs).
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Add(Tensor a, Tensor b, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Add<float>(a.AsSpan<float>(), b.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.Add<double>(a.AsSpan<double>(), b.AsSpan<double>(), y.AsSpan<double>()), nameof(Add));

    /// <inheritdoc/>
    public void Sub(Tensor a, Tensor b, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Subtract<float>(a.AsSpan<float>(), b.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.Subtract<double>(a.AsSpan<double>(), b.AsSpan<double>(), y.AsSpan<double>()), nameof(Sub));

    /// <inheritdoc/>
    public void Mul(Tensor a, Tensor b, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Multiply<float>(a.AsSpan<float>(), b.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.Multiply<double>(a.AsSpan<double>(), b.AsSpan<double>(), y.AsSpan<double>()), nameof(Mul));

    /// <inheritdoc/>
    public void Scale(Tensor x, double alpha, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Multiply(x.AsSpan<float>(), (float)alpha, y.AsSpan<float>()),
        () => TensorPrimitives.Multiply(x.AsSpan<double>(), alpha, y.AsSpan<double>()), nameof(Scale));

    /// <inheritdoc/>
    public void AddScaledInPlace(Tensor y, double alpha, Tensor x) => ByFloatType(y,
        () => TensorPrimitives.MultiplyAdd(x.AsSpan<float>(), (float)alpha, y.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.MultiplyAdd(x.AsSpan<double>(), alpha, y.AsSpan<double>(), y.AsSpan<double>()), nameof(AddScaledInPlace));

    /// <inheritdoc/>
    public void AddBias(Tensor x, Tensor bias, Tensor y) => ByFloatType(y, () => AddBias<float>(x, bias, y), () => AddBias<double>(x, bias, y), nameof(AddBias));

    private static void AddBias<T>(Tensor x, Tensor bias, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Shape.Last;
        ParallelRows(x.Shape.Rows, n, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>(), b = bias.AsSpan<T>();
            Span<T> ys = y.AsSpan<T>();
            if (n < 16)   // short rows: a plain loop beats one vectorised call per row
                for (int r = first; r < end; r++)
                    for (int j = 0; j < n; j++) ys[r * n + j] = xs[r * n + j] + b[j];
            else
                for (int r = first; r < end; r++)
                    TensorPrimitives.Add(xs.Slice(r * n, n), b, ys.Slice(r * n, n));
        });
    }

    /// <inheritdoc/>
    public void SumRows(Tensor x, Tensor sums) => ByFloatType(x, () => SumRows<float>(x, sums), () => SumRows<double>(x, sums), nameof(SumRows));

    // Split over columns, not rows: each worker owns a band of the sums, so no reduction across workers.
    private static void SumRows<T>(Tensor x, Tensor sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Shape.Last;
        long rows = x.Shape.Rows;
        sums.AsSpan<T>().Clear();
        ParallelRows(n, rows, (firstColumn, endColumn) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            Span<T> band = sums.AsSpan<T>()[firstColumn..endColumn];
            for (long r = 0; r < rows; r++)
                TensorPrimitives.Add(band, xs.Slice((int)(r * n) + firstColumn, band.Length), band);
        });
    }
}
