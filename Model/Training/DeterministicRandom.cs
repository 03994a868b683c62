namespace CudaBert.Model.Training;

/// <summary>
/// A small seeded generator (SplitMix64) for the data side of training: each random decision of a
/// run (the shuffle of epoch e, the oversampler's draws, the order of length buckets, the demo data)
/// uses its own generator derived from (seed, purpose, epoch) by <see cref="For"/>, so a resumed run
/// recomputes them instead of saving any generator state. Unlike <see cref="System.Random"/>, the
/// sequence is fixed by this code, not by the .NET version.
/// </summary>
public sealed class DeterministicRandom(ulong state)
{
    /// <summary>The SplitMix64 counter; it advances by a fixed odd constant per draw, so two generators with the same state give the same sequence.</summary>
    public ulong State { get; private set; } = state;

    /// <summary>A generator for one purpose (e.g. the shuffle of epoch 3), independent of all others.</summary>
    public static DeterministicRandom For(ulong seed, ulong stream, ulong substream = 0) =>
        new(Mix(Mix(seed ^ 0x9E3779B97F4A7C15UL) ^ Mix(stream + 0x632BE59BD9B4E019UL) ^ substream));

    /// <summary>The next 64 uniformly distributed bits: the counter advanced, then mixed.</summary>
    public ulong NextUInt64()
    {
        State += 0x9E3779B97F4A7C15UL;
        return Mix(State);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n), without modulo bias (Lemire's multiply-shift with rejection).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ulong bound = (ulong)n;
        while (true)
        {
            UInt128 product = (UInt128)NextUInt64() * bound;
            ulong low = (ulong)product;
            if (low >= (0UL - bound) % bound) return (int)(product >> 64);
        }
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
