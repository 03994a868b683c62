// Layer normalisation over the last axis of a row-major [rows, cols] matrix, forward and backward.
//
//   forward:  μ = mean(x), σ² = mean((x − μ)²) (biased, as BERT and PyTorch), rstd = 1/√(σ² + ε),
//             x̂ = (x − μ)·rstd,  y = x̂·γ + β;  μ and rstd are saved per row for the backward.
//   backward: with g = dy·γ (the gradient with respect to x̂), per row of n = cols elements
//             dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)),   dγ = Σ_rows dy ⊙ x̂,   dβ = Σ_rows dy.
//
// Forward thread-to-data mapping: one warp per row (warp w of block bx owns row
// bx · (blockDim.x / 32) + w; lane l handles columns l, l + 32, ...). Mean and variance are two
// warp reductions; the variance is computed from x − μ (two passes over the row, numerically safer
// than E[x²] − μ²). Two variants:
//   *_short_f32: rows of at most 32 · SHORT_ROW_PER_LANE = 1024 columns (BERT-base 768, -large 1024).
//     Each lane keeps its (at most 32) elements in registers: x is read from global memory once.
//     (v[k] holds column lane + 32k; fully unrolled loops with constant indices keep the array in
//     registers; each loop stops at the row's last 32-column chunk, the same k for every lane.)
//   *_f32: any row length; the row is re-read from L1/L2 for each pass.
//
// The fused variant also adds a residual first: s = x + residual is written out (the backward needs
// the normalised input) and normalised; that is BERT's "LayerNorm(x + sublayer(x))".

#include "reduce.cuh"

#define SHORT_ROW_PER_LANE 32

// Normalises row `r` of `in` into `y`, and saves mean and rstd. Called by a whole warp.
__device__ void normalize_row(const float* in, const float* gamma, const float* beta, float* y,
                              float* mean, float* rstd, int r, int cols, float eps, int lane)
{
    const float* xr = in + (long long)r * cols;
    float* yr = y + (long long)r * cols;
    float s = 0.0f;
    for (int j = lane; j < cols; j += 32) s += xr[j];
    float mu = warp_sum(s) / cols;
    float ss = 0.0f;
    for (int j = lane; j < cols; j += 32) {
        float d = xr[j] - mu;
        ss = fmaf(d, d, ss);
    }
    float inv = rsqrtf(warp_sum(ss) / cols + eps);
    for (int j = lane; j < cols; j += 32)
        yr[j] = fmaf((xr[j] - mu) * inv, gamma[j], beta[j]);
    if (lane == 0) {
        mean[r] = mu;
        rstd[r] = inv;
    }
}

extern "C" __global__ void layernorm_forward_f32(const float* x, const float* gamma, const float* beta, float* y,
                                                 float* mean, float* rstd, int rows, int cols, float eps)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (r >= rows) return;
    normalize_row(x, gamma, beta, y, mean, rstd, r, cols, eps, threadIdx.x % 32);
}

// sum = x + residual (saved for the backward), then y = LayerNorm(sum). Same mapping as above; each
// lane writes its columns of `sum` before reading them back, so __syncwarp orders the warp's
// writes before its reads.
extern "C" __global__ void layernorm_residual_forward_f32(const float* x, const float* residual, const float* gamma,
                                                          const float* beta, float* sum, float* y, float* mean,
                                                          float* rstd, int rows, int cols, float eps)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    long long base = (long long)r * cols;
    for (int j = lane; j < cols; j += 32) sum[base + j] = x[base + j] + residual[base + j];
    __syncwarp();
    normalize_row(sum, gamma, beta, y, mean, rstd, r, cols, eps, lane);
}

// Normalises the row whose elements lane holds in v (column lane + 32k in v[k]). Called by a whole warp.
__device__ __forceinline__ void normalize_cached_row(float (&v)[SHORT_ROW_PER_LANE], const float* gamma, const float* beta,
                                                     float* y, float* mean, float* rstd, int r, int cols, float eps, int lane)
{
    float s = 0.0f;
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        if (lane + 32 * k < cols) s += v[k];
    }
    float mu = warp_sum(s) / cols;
    float ss = 0.0f;
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        float d = v[k] - mu;
        if (lane + 32 * k < cols) ss = fmaf(d, d, ss);
    }
    float inv = rsqrtf(warp_sum(ss) / cols + eps);
    float* yr = y + (long long)r * cols;
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        int j = lane + 32 * k;
        if (j < cols) yr[j] = fmaf((v[k] - mu) * inv, gamma[j], beta[j]);
    }
    if (lane == 0) {
        mean[r] = mu;
        rstd[r] = inv;
    }
}

extern "C" __global__ void layernorm_forward_short_f32(const float* x, const float* gamma, const float* beta, float* y,
                                                       float* mean, float* rstd, int rows, int cols, float eps)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const float* xr = x + (long long)r * cols;
    float v[SHORT_ROW_PER_LANE];
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        int j = lane + 32 * k;
        v[k] = j < cols ? xr[j] : 0.0f;
    }
    normalize_cached_row(v, gamma, beta, y, mean, rstd, r, cols, eps, lane);
}

extern "C" __global__ void layernorm_residual_forward_short_f32(const float* x, const float* residual, const float* gamma,
                                                                const float* beta, float* sum, float* y, float* mean,
                                                                float* rstd, int rows, int cols, float eps)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    long long base = (long long)r * cols;
    float v[SHORT_ROW_PER_LANE];
    #pragma unroll
    for (int k = 0; k < SHORT_ROW_PER_LANE; ++k) {
        if (32 * k >= cols) break;
        int j = lane + 32 * k;
        v[k] = j < cols ? x[base + j] + residual[base + j] : 0.0f;
        if (j < cols) sum[base + j] = v[k];
    }
    normalize_cached_row(v, gamma, beta, y, mean, rstd, r, cols, eps, lane);
}

// Backward, pass 1 of 2. Thread-to-data mapping: block bx owns the contiguous chunk of rows
// [bx · rows_per_chunk, min(rows, (bx + 1) · rows_per_chunk)) and walks it one row at a time with all
// its threads: thread t handles columns t, t + blockDim.x, ... The two row means (of g and of g ⊙ x̂)
// are block reductions. Each thread accumulates dγ and dβ for its own columns in dynamic shared
// memory (2 · cols floats; only that thread ever touches those entries, so no race), and at the end
// the block writes its partial sums to partial_dgamma[bx][c], partial_dbeta[bx][c].
// Pass 2 is column_sum_finish_f32 (column_sum.cu) over the chunks: deterministic, no atomics.
extern "C" __global__ void layernorm_backward_f32(const float* dy, const float* x, const float* gamma,
                                                  const float* mean, const float* rstd, float* dx,
                                                  float* partial_dgamma, float* partial_dbeta,
                                                  int rows, int cols, int rows_per_chunk)
{
    extern __shared__ float column_acc[];       // [0, cols): dγ, [cols, 2·cols): dβ
    __shared__ float partial[32];
    float* acc_gamma = column_acc;
    float* acc_beta = column_acc + cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        acc_gamma[j] = 0.0f;
        acc_beta[j] = 0.0f;
    }
    int first = blockIdx.x * rows_per_chunk;
    int end = min(rows, first + rows_per_chunk);
    for (int r = first; r < end; ++r) {
        const float* dyr = dy + (long long)r * cols;
        const float* xr = x + (long long)r * cols;
        float* dxr = dx + (long long)r * cols;
        float mu = mean[r], inv = rstd[r];
        float sum_g = 0.0f, sum_g_xhat = 0.0f;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            float xhat = (xr[j] - mu) * inv;
            float g = dyr[j] * gamma[j];
            sum_g += g;
            sum_g_xhat = fmaf(g, xhat, sum_g_xhat);
            acc_gamma[j] = fmaf(dyr[j], xhat, acc_gamma[j]);
            acc_beta[j] += dyr[j];
        }
        float mean_g = block_sum(sum_g, partial) / cols;
        float mean_g_xhat = block_sum(sum_g_xhat, partial) / cols;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            float xhat = (xr[j] - mu) * inv;
            float g = dyr[j] * gamma[j];
            dxr[j] = inv * (g - mean_g - xhat * mean_g_xhat);
        }
    }
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        partial_dgamma[(long long)blockIdx.x * cols + j] = acc_gamma[j];
        partial_dbeta[(long long)blockIdx.x * cols + j] = acc_beta[j];
    }
}
