// Scaled, additively masked softmax over the last axis (attention probabilities) and its backward.
//
//   forward:  p[r][j] = softmax_j(scale · x[r][j] + mask[b][j])      for row r of batch element b
//   backward: dx[r][j] = scale · p[r][j] · (dp[r][j] − Σ_k dp[r][k] · p[r][k])
//
// Layout: scores [B, H, Sq, Sk] seen as rows × cols with rows = B·H·Sq, cols = Sk. The mask is an
// additive key mask [B, Sk] (0 for tokens, a large negative number for padding), broadcast over
// heads and queries: row r uses mask row b = r / rows_per_batch with rows_per_batch = H·Sq.
// mask may be null (no mask).
//
// Thread-to-data mapping: one warp per row. Block of blockDim.x threads = blockDim.x / 32 warps;
// warp w of block bx owns row r = bx · (blockDim.x / 32) + w. Lane l handles columns l, l + 32, ...
// The row max and the sum are warp reductions by shuffles (no shared memory, no barrier).
// Attention rows are short (Sk ≤ 512), which is why a warp, not a block, takes a row. Two variants:
//   *_short_f32: rows of at most 32 · SHORT_ROW_PER_LANE = 512 columns. Each lane keeps its (at most
//     16) elements in registers, so every element is read from global memory once and written once:
//     the kernel moves the minimum number of bytes. (z[k] holds column lane + 32k; fully unrolled loops
//     with constant indices are what lets the compiler keep the arrays in registers; each loop stops
//     at the row's last 32-column chunk, the same k for every lane.)
//   *_f32: any row length; the row is read three times (max, sum, write), the later reads from L1/L2.

#include "reduce.cuh"

#define SHORT_ROW_PER_LANE 16

extern "C" __global__ void scaled_masked_softmax_forward_f32(const float* x, const float* mask, float* p,
                                                             int rows, int cols, int rows_per_batch, float scale)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;                      // whole warp leaves together: the shuffles stay full
    const float* xr = x + (long long)r * cols;
    const float* mr = mask ? mask + (long long)(r / rows_per_batch) * cols : nullptr;
    float* pr = p + (long long)r * cols;

    float m = negative_infinity();
    for (int j = lane; j < cols; j += 32)
        m = fmaxf(m, fmaf(xr[j], scale, mr ? mr[j] : 0.0f));
    m = warp_max(m);

    float s = 0.0f;
    for (int j = lane; j < cols; j += 32)
        s += expf(fmaf(xr[j], scale, mr ? mr[j] : 0.0f) - m);
    float inv = 1.0f / warp_sum(s);

    for (int j = lane; j < cols; j += 32)
        pr[j] = expf(fmaf(xr[j], scale, mr ? mr[j] : 0.0f) - m) * inv;
}

// The additive mask gets no gradient; dx may alias dp.
extern "C" __global__ void scaled_masked_softmax_backward_f32(const float* p, const float* dp, float* dx,
                                                              int rows, int cols, float scale)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const float* pr = p + (long long)r * cols;
    const float* dpr = dp + (long long)r * cols;
    float* dxr = dx + (long long)r * cols;

    float dot = 0.0f;
    for (int j = lane; j < cols; j += 32)
        dot = fmaf(dpr[j], pr[j], dot);
    dot = warp_sum(dot);

    for (int j = lane; j < cols; j += 32)
        dxr[j] = scale * pr[j] * (dpr[j] - dot);
}

extern "C" __global__ void scaled_masked_softmax_forward_short_f32(const float* x, const float* mask, float* p,
                                                                   int rows, int cols, int rows_per_batch, float scale)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const float* xr = x + (long long)r * cols;
    const float* mr = mask ? mask + (long long)(r / rows_per_batch) * cols : nullptr;
    float* pr = p + (long long)r * cols;

    float z[SHORT_ROW_PER_LANE];
    float m = negative_infinity();
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        int j = lane + 32 * k;
        z[k] = j < cols ? fmaf(xr[j], scale, mr ? mr[j] : 0.0f) : negative_infinity();
        m = fmaxf(m, z[k]);
    }
    m = warp_max(m);
    float s = 0.0f;
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        z[k] = expf(z[k] - m);                  // columns past the end: e^(−∞) = 0
        s += z[k];
    }
    float inv = 1.0f / warp_sum(s);
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        int j = lane + 32 * k;
        if (j < cols) pr[j] = z[k] * inv;
    }
}

extern "C" __global__ void scaled_masked_softmax_backward_short_f32(const float* p, const float* dp, float* dx,
                                                                    int rows, int cols, float scale)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const float* pr = p + (long long)r * cols;
    const float* dpr = dp + (long long)r * cols;
    float* dxr = dx + (long long)r * cols;

    float pv[SHORT_ROW_PER_LANE], dpv[SHORT_ROW_PER_LANE];
    float dot = 0.0f;
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        int j = lane + 32 * k;
        pv[k] = j < cols ? pr[j] : 0.0f;
        dpv[k] = j < cols ? dpr[j] : 0.0f;
        dot = fmaf(dpv[k], pv[k], dot);
    }
    dot = warp_sum(dot);
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        int j = lane + 32 * k;
        if (j < cols) dxr[j] = scale * pv[k] * (dpv[k] - dot);
    }
}
