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

    public void Gelu(Tensor x, Tensor y) => ByFloatType(y, () => Gelu<float>(x, y), () => Gelu<double>(x, y), nameof(Gelu));

    // GELU(x) = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)): the exact form BERT uses. Computed in double,
    // four elements per step (see Erf), then rounded to T.
    private static void Gelu<T>(Tensor x, Tensor y) where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelRows(x.NumElements, 120, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            Span<T> ys = y.AsSpan<T>();
            int i = first;
            for (; i + 4 <= end; i += 4)
            {
                var v = Load4(xs, i);
                Store4(ys, i, v * NormalCdf(v));
            }
            for (; i < end; i++)
            {
                double v = double.CreateTruncating(xs[i]);
                ys[i] = Cast<T>(v * 0.5 * (1.0 + Erf.Evaluate(v * Sqrt1Over2)));
            }
        });

    public void GeluBackward(Tensor x, Tensor dy, Tensor dx) => ByFloatType(x, () => GeluBackward<float>(x, dy, dx), () => GeluBackward<double>(x, dy, dx), nameof(GeluBackward));

    // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π) the normal density.
    private static void GeluBackward<T>(Tensor x, Tensor dy, Tensor dx) where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelRows(x.NumElements, 150, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>(), dys = dy.AsSpan<T>();
            Span<T> dxs = dx.AsSpan<T>();
            int i = first;
            for (; i + 4 <= end; i += 4)
            {
                var v = Load4(xs, i);
                var density = Vector256.Exp(-0.5 * v * v) * InvSqrt2Pi;
                Store4(dxs, i, Load4(dys, i) * (NormalCdf(v) + v * density));
            }
            for (; i < end; i++)
            {
                double v = double.CreateTruncating(xs[i]);
                double derivative = 0.5 * (1.0 + Erf.Evaluate(v * Sqrt1Over2)) + v * InvSqrt2Pi * Math.Exp(-0.5 * v * v);
                dxs[i] = Cast<T>(double.CreateTruncating(dys[i]) * derivative);
            }
        });

    private const double Sqrt1Over2 = 0.70710678118654752, InvSqrt2Pi = 0.3989422804014327;

    private static Vector256<double> NormalCdf(Vector256<double> x) => 0.5 * (Vector256<double>.One + Erf.Evaluate(x * Sqrt1Over2));

    private static Vector256<double> Load4<T>(ReadOnlySpan<T> s, int i) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector256.Create(double.CreateTruncating(s[i]), double.CreateTruncating(s[i + 1]), double.CreateTruncating(s[i + 2]), double.CreateTruncating(s[i + 3]));

    private static void Store4<T>(Span<T> s, int i, Vector256<double> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int lane = 0; lane < 4; lane++) s[i + lane] = Cast<T>(v[lane]);
    }

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
