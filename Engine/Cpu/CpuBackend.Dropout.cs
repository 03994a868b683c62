using System.Numerics;
using CudaBert.Engine.Random;

namespace CudaBert.Engine.Cpu;

// Dropout with a counter-based mask: element i keeps iff its Philox uniform is ≥ p.
public sealed partial class CpuBackend
{
    public void Dropout(Tensor x, double p, ulong seed, ulong offset, Tensor y) =>
        ByFloatType(x, () => Dropout<float>(x, p, seed, offset, y), () => Dropout<double>(x, p, seed, offset, y), nameof(Dropout));

    private static void Dropout<T>(Tensor x, double p, ulong seed, ulong offset, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keepScale = Cast<T>(1.0 / (1.0 - p));
        float threshold = (float)p;
        ParallelRows(x.NumElements, 30, (first, end) =>
        {
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            Span<T> ys = y.AsSpan<T>();
            for (int i = first; i < end; i++)
            {
                bool keep = Philox.ToUniform(Philox.Word(seed, offset + (ulong)i)) >= threshold;
                ys[i] = keep ? xs[i] * keepScale : T.Zero;
            }
        });
    }
}
