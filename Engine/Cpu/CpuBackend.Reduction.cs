using System.Numerics;

namespace CudaBert.Engine.Cpu;

// Reductions to a scalar, accumulated in double (over one axis: CpuBackend.AxisReduction.cs).
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Sum(Tensor x, Tensor total) => ByFloatType(x,
        () => total.AsSpan<float>()[0] = (float)SumInDouble<float>(x),
        () => total.AsSpan<double>()[0] = SumInDouble<double>(x), nameof(Sum));

    private static double SumInDouble<T>(Tensor x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T v in x.AsSpan<T>()) sum += double.CreateTruncating(v);
        return sum;
    }

    /// <inheritdoc/>
    public double SumOfSquares(Tensor x)
    {
        double sum = 0;
        if (x.DType == DType.Float32) foreach (float v in x.AsSpan<float>()) sum += (double)v * v;
        else foreach (double v in x.AsSpan<double>()) sum += v * v;
        return sum;
    }
}
