// What the fused attention kernels share (a header: included, not compiled alone): the arguments and
// the [B, S, H·D] row addressing. Included by flash_attention.cu (exact fp32 on CUDA cores) and
// flash_attention_mma.cu (TF32 or bf16 tensor cores).

#pragma once

// The arguments every kernel shares: sizes, scale and the dropout stream.
struct Attention {
    int sq, sk, heads;
    float scale;
    float p, keep_scale;                 // p = 0: no dropout
    unsigned seed_lo, seed_hi;
    unsigned long long offset;
};

// Row `row` of head h of batch element b in a [B, S, H·D] tensor.
template <int D>
__device__ __forceinline__ long long row_start(int b, int h, int s, int heads, int row)
{
    return ((long long)b * s + row) * heads * D + h * D;
}

// One instance per head size: the register arrays need D at compile time. The shared arguments come
// last: sizes, scale, then the dropout stream. offset_shift, when not null, points to a number added to
// offset: a CUDA graph replays its launches with the arguments of the capture, so the host moves the
// stream on by rewriting that number before each replay (as dropout.cu does).
#define ATTENTION_PARAMETERS int sq, int sk, int heads, float scale, float p, float keep_scale,                                      \
                             unsigned seed_lo, unsigned seed_hi, unsigned long long offset,                                         \
                             const unsigned long long* offset_shift
#define ATTENTION_ARGUMENTS Attention{ sq, sk, heads, scale, p, keep_scale, seed_lo, seed_hi,                                       \
                                       offset + (offset_shift != nullptr ? *offset_shift : 0ull) }
