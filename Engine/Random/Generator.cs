namespace CudaBert.Engine.Random;

/// <summary>
/// A seeded source of random numbers for initialisation and data, built on <see cref="Philox"/>:
/// the same seed gives the same values on every machine and .NET version.
/// </summary>
public sealed class Generator(ulong seed)
{
    private ulong position;

    /// <summary>The Philox key: two generators with the same seed produce the same sequence.</summary>
    public ulong Seed { get; } = seed;

    /// <summary>Next uniform double in [0, 1) (53 random bits from two words).</summary>
    public double NextDouble()
    {
        ulong hi = Philox.Word(Seed, position++), lo = Philox.Word(Seed, position++);
        return ((hi << 21) ^ lo) * (1.0 / (1UL << 53)); // < 2^53, so in [0, 1)
    }

    /// <summary>Next integer in [0, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int exclusiveMax) => (int)(NextDouble() * exclusiveMax);

    /// <summary>Fills <paramref name="values"/> with draws from U[<paramref name="low"/>, <paramref name="high"/>), one <see cref="NextDouble"/> each.</summary>
    public void FillUniform(Span<double> values, double low, double high)
    {
        for (int i = 0; i < values.Length; i++) values[i] = low + (high - low) * NextDouble();
    }

    /// <summary>Box–Muller: two uniforms u1, u2 give √(−2 ln u1)·cos(2π u2) ~ N(0, 1).</summary>
    public void FillNormal(Span<double> values, double mean, double std)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
            double u2 = NextDouble();
            values[i] = mean + std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }
}
