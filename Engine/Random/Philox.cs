namespace CudaBert.Engine.Random;

/// <summary>
/// Philox4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC 2011): a
/// counter-based generator. The output is a pure function of (counter, key), so element i of a
/// dropout mask can be computed by any thread on any device without sharing state: CPU and GPU
/// kernels that use the same (seed, offset) produce the same bits.
/// </summary>
public static class Philox
{
    // Round multipliers and Weyl key increments from the paper.
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Ten rounds over a 128-bit counter with a 64-bit key; returns four 32-bit words.</summary>
    public static (uint, uint, uint, uint) Generate(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>
    /// The 32-bit word for stream position <paramref name="index"/> under <paramref name="seed"/>:
    /// counter = (index / 4) as a 64-bit value in words 0–1, key = the seed; word index % 4 of the output.
    /// </summary>
    public static uint Word(ulong seed, ulong index)
    {
        var (x0, x1, x2, x3) = Block(seed, index >> 2);
        return (index & 3) switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 };
    }

    /// <summary>The four words of stream positions 4·block … 4·block + 3.</summary>
    public static (uint, uint, uint, uint) Block(ulong seed, ulong block) =>
        Generate((uint)block, (uint)(block >> 32), 0, 0, (uint)seed, (uint)(seed >> 32));

    /// <summary>A uniform float in [0, 1) from the top 24 bits of a word (exact in float32).</summary>
    public static float ToUniform(uint word) => (word >> 8) * (1.0f / (1 << 24));
}
