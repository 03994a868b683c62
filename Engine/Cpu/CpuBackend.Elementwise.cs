using System.Runtime.Intrinsics;
using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Element-wise primitives: arithmetic, bias, GELU, tanh.
public sealed partial class CpuBackend
{
    public void Add(Tensor a, Tensor b, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Add<float>(a.AsSpan<float>(), b.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.Add<double>(a.AsSpan<double>(), b.AsSpan<double>(), y.AsSpan<double>()), nameof(Add));

    public void Sub(Tensor a, Tensor b, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Subtract<float>(a.AsSpan<float>(), b.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.Subtract<double>(a.AsSpan<double>(), b.AsSpan<double>(), y.AsSpan<double>()), nameof(Sub));

    public void Mul(Tensor a, Tensor b, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Multiply<float>(a.AsSpan<float>(), b.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.Multiply<double>(a.AsSpan<double>(), b.AsSpan<double>(), y.AsSpan<double>()), nameof(Mul));

    public void Scale(Tensor x, double alpha, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Multiply(x.AsSpan<float>(), (float)alpha, y.AsSpan<float>()),
        () => TensorPrimitives.Multiply(x.AsSpan<double>(), alpha, y.AsSpan<double>()), nameof(Scale));

    public void AddScaledInPlace(Tensor y, double alpha, Tensor x) => ByFloatType(y,
        () => TensorPrimitives.MultiplyAdd(x.AsSpan<float>(), (float)alpha, y.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.MultiplyAdd(x.AsSpan<double>(), alpha, y.AsSpan<double>(), y.AsSpan<double>()), nameof(AddScaledInPlace));

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

    public void Gelu(Tensor x, Tensor y) => ByFloatType(y, () => GeluFloat32(x, y), () => GeluFloat64(x, y), nameof(Gelu));

    // GELU(x) = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)): the exact form BERT uses.
    // float32: eight lanes of Float32NormalCdf; the ends of each chunk one element at a time through the same code.
    private static void GeluFloat32(Tensor x, Tensor y) =>
        ParallelRows(x.NumElements, 40, (first, end) =>
        {
            ReadOnlySpan<float> xs = x.AsSpan<float>();
            Span<float> ys = y.AsSpan<float>();
            int i = first;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(xs.Slice(i));
                (v * Float32NormalCdf.Cdf(v)).CopyTo(ys.Slice(i));
            }
            for (; i < end; i++) ys[i] = xs[i] * Float32NormalCdf.Cdf(xs[i]);
        });

    // float64 (the finite-difference checks): four lanes of the double-precision Erf.
    private static void GeluFloat64(Tensor x, Tensor y) =>
        ParallelRows(x.NumElements, 120, (first, end) =>
        {
            ReadOnlySpan<double> xs = x.AsSpan<double>();
            Span<double> ys = y.AsSpan<double>();
            int i = first;
            for (; i + 4 <= end; i += 4)
            {
                var v = Vector256.Create(xs.Slice(i));
                (v * NormalCdf(v)).CopyTo(ys.Slice(i));
            }
            for (; i < end; i++) ys[i] = xs[i] * NormalCdf(xs[i]);
        });

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

    public void Tanh(Tensor x, Tensor y) => ByFloatType(y,
        () => TensorPrimitives.Tanh<float>(x.AsSpan<float>(), y.AsSpan<float>()),
        () => TensorPrimitives.Tanh<double>(x.AsSpan<double>(), y.AsSpan<double>()), nameof(Tanh));

    public void TanhBackward(Tensor y, Tensor dy, Tensor dx) => ByFloatType(y, () => TanhBackward<float>(y, dy, dx), () => TanhBackward<double>(y, dy, dx), nameof(TanhBackward));

    private static void TanhBackward<T>(Tensor y, Tensor dy, Tensor dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> ys = y.AsSpan<T>(), dys = dy.AsSpan<T>();
        Span<T> dxs = dx.AsSpan<T>();
        for (int i = 0; i < ys.Length; i++) dxs[i] = dys[i] * (T.One - ys[i] * ys[i]);
    }

    public void Sum(Tensor x, Tensor total) => ByFloatType(x,
        () => total.AsSpan<float>()[0] = (float)SumInDouble<float>(x),
        () => total.AsSpan<double>()[0] = SumInDouble<double>(x), nameof(Sum));

    private static double SumInDouble<T>(Tensor x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T v in x.AsSpan<T>()) sum += double.CreateTruncating(v);
        return sum;
    }

    public double SumOfSquares(Tensor x)
    {
        double sum = 0;
        if (x.DType == DType.Float32) foreach (float v in x.AsSpan<float>()) sum += (double)v * v;
        else foreach (double v in x.AsSpan<double>()) sum += v * v;
        return sum;
    }
}
