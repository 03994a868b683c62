// CPU twin: Engine/Cpu/CpuBackend.Attention.cs
// Tests: Tests/CudaBert.Tests/BertKernels/SoftmaxKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs, Course/CourseBenchmark.cs

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
#include "row_vector.cuh"

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

// The *_short kernels are templates on VEC (row_vector.cuh): lane l holds columns VEC·(l + 32k) ..
// VEC·(l + 32k) + VEC − 1 in z[k·VEC ..]. VEC = 4 (cols % 4 == 0, 16-byte aligned pointers; the
// launcher checks) reads and writes a 128-column row (BERT's Sk) with a single 16-byte access per lane
// and operand, instead of four 4-byte ones.
template <int VEC>
__device__ __forceinline__ void softmax_forward_short(const float* x, const float* mask, float* p,
                                                      int rows, int cols, int rows_per_batch, float scale)
{
    constexpr int SLOTS = SHORT_ROW_PER_LANE / VEC;
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;                      // whole warp leaves together: the shuffles stay full
    const float* xr = x + (long long)r * cols;
    const float* mr = mask ? mask + (long long)(r / rows_per_batch) * cols : nullptr;
    float* pr = p + (long long)r * cols;

    float z[SHORT_ROW_PER_LANE];
    float m = negative_infinity();
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;       // the same k for every lane
        int c = VEC * (lane + 32 * k);
        float xv[VEC], mv[VEC];
        if (c < cols) {
            load_columns<VEC>(xr, c, xv);
            if (mr) load_columns<VEC>(mr, c, mv);
        }
        #pragma unroll
        for (int e = 0; e < VEC; ++e) {
            z[k * VEC + e] = c < cols ? fmaf(xv[e], scale, mr ? mv[e] : 0.0f) : negative_infinity();
            m = fmaxf(m, z[k * VEC + e]);
        }
    }
    m = warp_max(m);
    float s = 0.0f;
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;
        #pragma unroll
        for (int e = 0; e < VEC; ++e) {
            z[k * VEC + e] = expf(z[k * VEC + e] - m);   // columns past the end: e^(−∞) = 0
            s += z[k * VEC + e];
        }
    }
    float inv = 1.0f / warp_sum(s);
    store_row<VEC, SLOTS>(pr, cols, lane, [&](int i) { return z[i] * inv; });
}

extern "C" __global__ void scaled_masked_softmax_forward_short_f32(const float* x, const float* mask, float* p,
                                                                   int rows, int cols, int rows_per_batch, float scale)
{
    softmax_forward_short<1>(x, mask, p, rows, cols, rows_per_batch, scale);
}

extern "C" __global__ void scaled_masked_softmax_forward_short_vec4_f32(const float* x, const float* mask, float* p,
                                                                        int rows, int cols, int rows_per_batch, float scale)
{
    softmax_forward_short<4>(x, mask, p, rows, cols, rows_per_batch, scale);
}

template <int VEC>
__device__ __forceinline__ void softmax_backward_short(const float* p, const float* dp, float* dx, int rows, int cols, float scale)
{
    constexpr int SLOTS = SHORT_ROW_PER_LANE / VEC;
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const float* pr = p + (long long)r * cols;
    const float* dpr = dp + (long long)r * cols;
    float* dxr = dx + (long long)r * cols;

    float pv[SHORT_ROW_PER_LANE], dpv[SHORT_ROW_PER_LANE];
    float dot = 0.0f;
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;
        int c = VEC * (lane + 32 * k);
        if (c < cols) {
            float a[VEC], b[VEC];
            load_columns<VEC>(pr, c, a);
            load_columns<VEC>(dpr, c, b);
            #pragma unroll
            for (int e = 0; e < VEC; ++e) {
                pv[k * VEC + e] = a[e];
                dpv[k * VEC + e] = b[e];
                dot = fmaf(b[e], a[e], dot);
            }
        }
    }
    dot = warp_sum(dot);
    store_row<VEC, SLOTS>(dxr, cols, lane, [&](int i) { return scale * pv[i] * (dpv[i] - dot); });
}

extern "C" __global__ void scaled_masked_softmax_backward_short_f32(const float* p, const float* dp, float* dx,
                                                                    int rows, int cols, float scale)
{
    softmax_backward_short<1>(p, dp, dx, rows, cols, scale);
}

extern "C" __global__ void scaled_masked_softmax_backward_short_vec4_f32(const float* p, const float* dp, float* dx,
                                                                         int rows, int cols, float scale)
{
    softmax_backward_short<4>(p, dp, dx, rows, cols, scale);
}
