// Warp- and block-wide reductions shared by the BERT kernels (a header: included, not compiled alone).
//
// Warp level: a butterfly of __shfl_xor_sync; after log2(32) = 5 steps every lane holds the result.
// Block level: each warp reduces its values, lane 0 of warp w writes partial[w] to shared memory, a
// barrier, then every thread combines the partials of all warps in the same fixed order.
// The order of additions depends only on blockDim.x, never on timing: results are bit-reproducible.
// blockDim.x must be a multiple of 32 (at most 1024); `partial` is __shared__ float[32] (the double
// version has its own).

#pragma once

__device__ __forceinline__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// Block-wide sum; every thread returns the total. The trailing barrier lets the caller reuse `partial`.
__device__ __forceinline__ float block_sum(float v, float* partial)
{
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_sum(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    float total = 0.0f;
    for (unsigned w = 0; w < warps; ++w) total += partial[w];
    __syncthreads();
    return total;
}

// Block-wide maximum; every thread returns it.
__device__ __forceinline__ float block_max(float v, float* partial)
{
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_max(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    float m = partial[0];
    for (unsigned w = 1; w < warps; ++w) m = fmaxf(m, partial[w]);
    __syncthreads();
    return m;
}

// Block-wide sum in double (whole-buffer sums, gradient norms); every thread returns the total.
__device__ __forceinline__ double block_sum_double(double v)
{
    __shared__ double partial[32];
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    double total = 0.0;
    for (unsigned w = 0; w < warps; ++w) total += partial[w];
    __syncthreads();
    return total;
}

// -infinity without <math.h> (NVRTC has none).
__device__ __forceinline__ float negative_infinity() { return -__int_as_float(0x7f800000); }
