// Philox4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC 2011), the
// counter-based generator of every random mask (a header: included, not compiled alone). It computes
// what Engine/Random/Philox.cs computes, so the CPU and the GPU draw the same bits:
//   stream position  k
//   counter          (k / 4 as a 64-bit number in words 0 and 1, 0, 0),  key = (seed_lo, seed_hi)
//   word             output word k % 4 of the ten rounds
//   u                (word >> 8) · 2⁻²⁴   (24 random bits: exact in float, in [0, 1))

#pragma once

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// Ten rounds. One round: two 32×32→64-bit products of counter words 0 and 2 with the multipliers;
// their high halves are mixed with the other counter words and the key; the key is bumped by the
// Weyl constants between rounds.
__device__ __forceinline__ uint4 philox4x32_10(uint4 c, unsigned k0, unsigned k1)
{
    #pragma unroll
    for (int round = 0; round < 10; ++round) {
        if (round > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        unsigned hi0 = __umulhi(PHILOX_M0, c.x), lo0 = PHILOX_M0 * c.x;
        unsigned hi1 = __umulhi(PHILOX_M1, c.z), lo1 = PHILOX_M1 * c.z;
        c = make_uint4(hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0);
    }
    return c;
}

// The four words of stream positions 4·group … 4·group + 3.
__device__ __forceinline__ uint4 philox_group(unsigned long long group, unsigned seed_lo, unsigned seed_hi)
{
    return philox4x32_10(make_uint4((unsigned)group, (unsigned)(group >> 32), 0u, 0u), seed_lo, seed_hi);
}

// The uniform in [0, 1) of one word: its top 24 bits.
__device__ __forceinline__ float philox_uniform(unsigned word)
{
    return (float)(word >> 8) * (1.0f / 16777216.0f);
}
