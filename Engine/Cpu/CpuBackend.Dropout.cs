using System.Numerics;
using CudaBert.Engine.Random;

namespace CudaBert.Engine.Cpu;

// Dropout with a counter-based mask: element i keeps iff its Philox uniform is ≥ p.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Dropout(Tensor x, double p, ulong seed, ulong offset, Tensor y) =>
        ByFloatType(x, () => Dropout<float>(x, p, seed, offset, y), () => Dropout<double>(x, p, seed, offset, y), nameof(Dropout));

    private static void Dropout<T>(Tensor x, double p, ulong seed, ulong offset, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keepScale = Cast<T>(1.0 / (1.0 - p));
        float threshold = (float)p;
        ParallelRows(x.NumElements, 30, (first, end) => Dropout(x.AsSpan<T>(), seed, offset, threshold, keepScale, first, end, y.AsSpan<T>()));
    }

    /// <summary>ys[i] = keep_i ? xs[i]·keepScale : 0 for i in [first, end), keep_i from stream position offset + i.</summary>
    internal static void Dropout<T>(ReadOnlySpan<T> xs, ulong seed, ulong offset, float threshold, T keepScale, int first, int end, Span<T> ys)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Sixteen consecutive stream positions (four Philox blocks) per generator call.
        Span<uint> words = stackalloc uint[PhiloxBlocks.Words];
        ulong position = offset + (ulong)first;
        for (int i = first; i < end;)
        {
            ulong firstBlock = position >> 2, firstPosition = firstBlock << 2;
            PhiloxBlocks.Generate(seed, firstBlock, words);
            int count = (int)Math.Min((ulong)(end - i), firstPosition + PhiloxBlocks.Words - position);
            for (int k = 0; k < count; k++)
            {
                bool keep = Philox.ToUniform(words[(int)(position - firstPosition) + k]) >= threshold;
                ys[i + k] = keep ? xs[i + k] * keepScale : T.Zero;
            }
            i += count;
            position += (ulong)count;
        }
    }
}
