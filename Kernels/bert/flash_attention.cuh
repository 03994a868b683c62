// What the fused attention kernels share (a header: included, not compiled alone): the arguments, the
// [B, S, H·D] row addressing and the dropout draw (so both kernels keep exactly the same probabilities). Included by flash_attention.cu (exact fp32 on CUDA cores) and
// flash_attention_mma.cu (TF32 or bf16 tensor cores).

#pragma once

#include "philox.cuh"

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

// out[r·STRIDE + c] = kept for probability (i0 + r, j0 + c) of pair bh when its Philox uniform is ≥ p, else 0
// (rows < `rows`, columns < `cols`): its position in the [B, H, Sq, Sk] probability tensor, as the dropout
// kernel draws for the separate softmax. kept is keep_scale for the exact kernel's float factors, 1 for the
// tensor-core kernels' byte flags. A row's ≤ COLS positions touch at most COLS / 4 + 1 groups of four
// (one Philox evaluation each); the block's threads take the (row, group) pairs in turn.
template <int ROWS, int COLS, int STRIDE, typename T>
__device__ __forceinline__ void draw_dropout_tile(T* out, T kept, const Attention& a, int bh, int i0, int j0, int rows, int cols)
{
    constexpr int GROUPS = COLS / 4 + 1;
    for (int g = threadIdx.x; g < ROWS * GROUPS; g += blockDim.x) {
        int r = g / GROUPS;
        if (r >= rows) continue;
        unsigned long long first = a.offset + ((unsigned long long)bh * a.sq + i0 + r) * a.sk + j0;
        unsigned long long group = first / 4 + g % GROUPS;
        uint4 w = philox_group(group, a.seed_lo, a.seed_hi);
        unsigned words[4] = { w.x, w.y, w.z, w.w };
        #pragma unroll
        for (int e = 0; e < 4; ++e) {
            long long c = (long long)(group * 4 + e - first);   // column of this position; may be outside the tile
            if (c >= 0 && c < cols) out[r * STRIDE + c] = philox_uniform(words[e]) >= a.p ? kept : T(0);
        }
    }
}
