using System.Runtime.Intrinsics;
using CudaBert.Engine.Random;

namespace CudaBert.Engine.Cpu;

/// <summary>
/// Four consecutive <see cref="Philox.Block"/>s at once: the same ten rounds of Philox4x32-10 with
/// one block per 64-bit lane (each 32-bit word of the state widened to a lane, so the round's
/// 32×32 → 64-bit products are plain lane multiplies). Bit-identical to the scalar generator; it
/// is what makes the CPU dropout mask cost about as much as applying it.
/// </summary>
internal static class PhiloxBlocks
{
    public const int Count = 4, Words = 4 * Count;

    // Round multipliers and Weyl key increments of Philox4x32 (see Philox).
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>
    /// Words of stream positions 4·firstBlock … 4·firstBlock + 15 under <paramref name="seed"/>, in
    /// position order: words[4j + w] is word w of block firstBlock + j.
    /// </summary>
    public static void Generate(ulong seed, ulong firstBlock, Span<uint> words)
    {
        var low32 = Vector256.Create(0xFFFF_FFFFUL);
        var blocks = Vector256.Create(firstBlock) + Vector256.Create(0UL, 1, 2, 3);
        // Counter = (block as two 32-bit words, 0, 0); key = the seed's two words.
        Vector256<ulong> c0 = blocks & low32, c1 = blocks >>> 32, c2 = Vector256<ulong>.Zero, c3 = Vector256<ulong>.Zero;
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        var m0 = Vector256.Create((ulong)M0);
        var m1 = Vector256.Create((ulong)M1);
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            var p0 = c0 * m0;
            var p1 = c2 * m1;
            var next0 = (p1 >>> 32) ^ c1 ^ Vector256.Create((ulong)k0);
            var next2 = (p0 >>> 32) ^ c3 ^ Vector256.Create((ulong)k1);
            (c0, c1, c2, c3) = (next0, p1 & low32, next2, p0 & low32);
        }
        for (int j = 0; j < Count; j++)
        {
            words[4 * j] = (uint)c0[j];
            words[4 * j + 1] = (uint)c1[j];
            words[4 * j + 2] = (uint)c2[j];
            words[4 * j + 3] = (uint)c3[j];
        }
    }
}
