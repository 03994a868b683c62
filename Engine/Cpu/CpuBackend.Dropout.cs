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
            // One Philox call yields the words of four consecutive stream positions.
            Span<uint> words = stackalloc uint[4];
            ulong cachedBlock = ulong.MaxValue;
            for (int i = first; i < end; i++)
            {
                ulong position = offset + (ulong)i;
                if (position >> 2 != cachedBlock)
                {
                    cachedBlock = position >> 2;
                    (words[0], words[1], words[2], words[3]) = Philox.Block(seed, cachedBlock);
                }
                bool keep = Philox.ToUniform(words[(int)(position & 3)]) >= threshold;
                ys[i] = keep ? xs[i] * keepScale : T.Zero;
            }
        });
    }
}
