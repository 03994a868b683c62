// The online softmax's pieces that the tensor-core fused attention kernels share (a header: included, not
// compiled alone): base-2 exponentials, the mask in log2 units, sums and maxima over the 4 lanes of a quad
// (a row of an mma.sync or wgmma accumulator tile lives in one quad), and the bfloat16 pair of a fragment
// register, and the backward's per-row constants. Included by flash_attention_mma.cu (mma.sync) and the Hopper
// kernels (Kernels/hopper/flash_attention_wgmma.cuh).

#pragma once

#include "flash_attention.cuh"
#include "reduce.cuh"

// x0 and x1 rounded to bfloat16 (nearest even) in one register, x0 in the low half (the lower k).
__device__ __forceinline__ unsigned to_bf16_pair(float x0, float x1)
{
    unsigned short lo, hi;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(lo) : "f"(x0));
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(hi) : "f"(x1));
    return (unsigned)lo | ((unsigned)hi << 16);
}

// The softmax in base 2: e^z = 2^(z·log2 e), so the kernels scale the scores, the mask and lse by log2 e once and
// take every exponential as one ex2.approx (the special-function unit, relative error about 2⁻²²) where expf
// costs about ten instructions; with tensor cores doing the products, the softmax's instructions are a large
// part of the kernel's time. Masks are clamped to −FLT_MAX after the scaling (float.MinValue·log2 e would be −∞).
#define LOG2E 1.4426950408889634f
#define LN2 0.69314718055994531f

__device__ __forceinline__ float exp2_approx(float x)
{
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

__device__ __forceinline__ float mask_log2(const float* mask, long long index)
{
    return mask ? fmaxf(mask[index] * LOG2E, -3.402823466e38f) : 0.0f;
}

// The maximum (sum) of v over the 4 lanes of a quad (lanes 4·group … 4·group + 3).
__device__ __forceinline__ float quad_max(float v)
{
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
    return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}

__device__ __forceinline__ float quad_sum(float v)
{
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

// The backward's per-row constants, staged once per block: thread r < ROWS takes query row i = row0 + r and puts
// D_i = Σ_c dO[i, c]·O[i, c] (the softmax backward's dS = P·(dP − D); also written to delta for the dK/dV pass)
// and lse_i in log2 units into the block's shared delta_rows[r] and lse_rows[r] (0 past the last row).
template <int D, int ROWS>
__device__ __forceinline__ void stage_delta_and_lse(const float* out, const float* dout, const float* lse, float* delta,
                                                    Attention a, int b, int h, int bh, int row0,
                                                    float* delta_rows, float* lse_rows)
{
    if (threadIdx.x >= ROWS) return;
    int i = row0 + threadIdx.x;
    float d_i = 0.0f, lse_i = 0.0f;
    if (i < a.sq) {
        long long start = row_start<D>(b, h, a.sq, a.heads, i);
        for (int c = 0; c < D; ++c) d_i = fmaf(dout[start + c], out[start + c], d_i);
        delta[(long long)bh * a.sq + i] = d_i;
        lse_i = lse[(long long)bh * a.sq + i] * LOG2E;
    }
    delta_rows[threadIdx.x] = d_i;
    lse_rows[threadIdx.x] = lse_i;
}
