// CPU twin: Engine/Cpu/CpuBackend.Normalization.cs
// Tests: Tests/CudaBert.Tests/BertKernels/LayerNormKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs, Course/CourseBenchmark.cs

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
//   *_short_f32, *_short_vec4_f32: rows of at most 32 · SHORT_ROW_PER_LANE = 1024 columns (BERT-base
//     768, -large 1024). Each lane keeps its (at most 32) elements in registers: x is read from global
//     memory once. (Fully unrolled loops with constant indices keep the array in registers; each loop
//     stops at the row's last chunk, the same for every lane; the vec4 kernels move 4 columns per access.)
//   *_f32: any row length; the row is re-read from L1/L2 for each pass.
//
// The fused variant also adds a residual first: s = x + residual is written out (the backward needs
// the normalised input) and normalised; that is BERT's "LayerNorm(x + sublayer(x))".

#include "reduce.cuh"
#include "row_vector.cuh"

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

// The *_short kernels are templates on VEC (row_vector.cuh): lane l holds columns VEC·(l + 32k) ..
// VEC·(l + 32k) + VEC − 1 in v[k·VEC ..] (k = 0, 1, ...). VEC = 4 (cols % 4 == 0 and every pointer
// 16-byte aligned; the launcher checks) reads x, γ, β and writes y with one 16-byte access per lane per
// 128 columns: a 768-column row is 6 float4 loads per lane instead of 24 scalar ones.

// Normalises the row whose elements lane holds in v (zeros past the row's end). Called by a whole warp.
template <int VEC>
__device__ __forceinline__ void normalize_cached_row(float (&v)[SHORT_ROW_PER_LANE], const float* gamma, const float* beta,
                                                     float* y, float* mean, float* rstd, int r, int cols, float eps, int lane)
{
    constexpr int SLOTS = SHORT_ROW_PER_LANE / VEC;
    float s = 0.0f;
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;       // the same k for every lane
        #pragma unroll
        for (int e = 0; e < VEC; ++e) s += v[k * VEC + e];
    }
    float mu = warp_sum(s) / cols;
    float ss = 0.0f;
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;
        #pragma unroll
        for (int e = 0; e < VEC; ++e) {
            float d = v[k * VEC + e] - mu;
            if (VEC * (lane + 32 * k) + e < cols) ss = fmaf(d, d, ss);
        }
    }
    float inv = rsqrtf(warp_sum(ss) / cols + eps);
    float* yr = y + (long long)r * cols;
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;
        int c = VEC * (lane + 32 * k);
        if (c < cols) {
            float g[VEC], b[VEC], out[VEC];
            load_columns<VEC>(gamma, c, g);
            load_columns<VEC>(beta, c, b);
            #pragma unroll
            for (int e = 0; e < VEC; ++e) out[e] = fmaf((v[k * VEC + e] - mu) * inv, g[e], b[e]);
            store_columns<VEC>(yr, c, out);
        }
    }
    if (lane == 0) {
        mean[r] = mu;
        rstd[r] = inv;
    }
}

template <int VEC>
__device__ __forceinline__ void layernorm_forward_short(const float* x, const float* gamma, const float* beta, float* y,
                                                        float* mean, float* rstd, int rows, int cols, float eps)
{
    constexpr int SLOTS = SHORT_ROW_PER_LANE / VEC;
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const float* xr = x + (long long)r * cols;
    float v[SHORT_ROW_PER_LANE];
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;
        int c = VEC * (lane + 32 * k);
        float a[VEC];
        if (c < cols) load_columns<VEC>(xr, c, a);
        #pragma unroll
        for (int e = 0; e < VEC; ++e) v[k * VEC + e] = c < cols ? a[e] : 0.0f;
    }
    normalize_cached_row<VEC>(v, gamma, beta, y, mean, rstd, r, cols, eps, lane);
}

extern "C" __global__ void layernorm_forward_short_f32(const float* x, const float* gamma, const float* beta, float* y,
                                                       float* mean, float* rstd, int rows, int cols, float eps)
{
    layernorm_forward_short<1>(x, gamma, beta, y, mean, rstd, rows, cols, eps);
}

extern "C" __global__ void layernorm_forward_short_vec4_f32(const float* x, const float* gamma, const float* beta, float* y,
                                                            float* mean, float* rstd, int rows, int cols, float eps)
{
    layernorm_forward_short<4>(x, gamma, beta, y, mean, rstd, rows, cols, eps);
}

template <int VEC>
__device__ __forceinline__ void layernorm_residual_forward_short(const float* x, const float* residual, const float* gamma,
                                                                 const float* beta, float* sum, float* y, float* mean,
                                                                 float* rstd, int rows, int cols, float eps)
{
    constexpr int SLOTS = SHORT_ROW_PER_LANE / VEC;
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    long long base = (long long)r * cols;
    float v[SHORT_ROW_PER_LANE];
    #pragma unroll
    for (int k = 0; k < SLOTS; ++k) {
        if (VEC * 32 * k >= cols) break;
        int c = VEC * (lane + 32 * k);
        float a[VEC], b[VEC];
        if (c < cols) {
            load_columns<VEC>(x + base, c, a);
            load_columns<VEC>(residual + base, c, b);
            #pragma unroll
            for (int e = 0; e < VEC; ++e) a[e] += b[e];
            store_columns<VEC>(sum + base, c, a);
        }
        #pragma unroll
        for (int e = 0; e < VEC; ++e) v[k * VEC + e] = c < cols ? a[e] : 0.0f;
    }
    normalize_cached_row<VEC>(v, gamma, beta, y, mean, rstd, r, cols, eps, lane);
}

extern "C" __global__ void layernorm_residual_forward_short_f32(const float* x, const float* residual, const float* gamma,
                                                                const float* beta, float* sum, float* y, float* mean,
                                                                float* rstd, int rows, int cols, float eps)
{
    layernorm_residual_forward_short<1>(x, residual, gamma, beta, sum, y, mean, rstd, rows, cols, eps);
}

extern "C" __global__ void layernorm_residual_forward_short_vec4_f32(const float* x, const float* residual, const float* gamma,
                                                                     const float* beta, float* sum, float* y, float* mean,
                                                                     float* rstd, int rows, int cols, float eps)
{
    layernorm_residual_forward_short<4>(x, residual, gamma, beta, sum, y, mean, rstd, rows, cols, eps);
}

// Backward for rows of at most 1024 columns (BERT-base 768, -large 1024), pass 1 of 2.
// Thread-to-data mapping: one warp per row, as in the forward. Block bx owns the chunk of rows
// [bx · rows_per_chunk, min(rows, (bx + 1) · rows_per_chunk)); its warp w takes rows first + w,
// first + w + warps, ... Lane l holds the columns VEC·(l + 32k) .. VEC·(l + 32k) + VEC − 1 (k = 0, 1, ...):
// with VEC = 4 every load and store is one 16-byte access and a warp covers 512 contiguous bytes.
// Why this shape: dy and x are read from global memory exactly once (g and x̂ stay in registers
// between the two warp reductions and the dx store), the two row means are warp shuffles with no
// block barrier per row, and every warp has a whole row of loads in flight at once.
// dγ and dβ: each lane accumulates its own columns over the warp's rows in registers; at the end the
// warps add their sums into shared memory one after another in warp order (a barrier between warps),
// and the last warp writes the block's partial row: partial[bx][c] (dγ) and partial[bx][cols + c] (dβ).
// Pass 2 is layernorm_backward_finish_f32. Deterministic: every addition order is fixed by the launch.
// MAX_COLS (a multiple of 32 · VEC) sizes the register arrays: the compiler keeps all of them, so a
// smaller bound means fewer registers and more warps per multiprocessor.
// VEC = 4 needs cols % 4 == 0 and 16-byte aligned dy, x, dx and gamma (the launcher checks), so a
// lane's vector lies wholly inside or wholly outside the row.
template <int VEC, int MAX_COLS>
__device__ __forceinline__ void layernorm_backward_short(const float* dy, const float* x, const float* gamma,
                                                         const float* mean, const float* rstd, float* dx,
                                                         float* partial, int rows, int cols, int rows_per_chunk)
{
    constexpr int PER_LANE = MAX_COLS / 32;           // columns per lane, held in each register array
    constexpr int SLOTS = PER_LANE / VEC;             // vectors per lane: 32 · SLOTS · VEC = MAX_COLS columns
    extern __shared__ float block_acc[];              // [0, cols): dγ, [cols, 2·cols): dβ
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    float acc_gamma[PER_LANE], acc_beta[PER_LANE];
    #pragma unroll
    for (int e = 0; e < PER_LANE; ++e) {
        acc_gamma[e] = 0.0f;
        acc_beta[e] = 0.0f;
    }
    int first = blockIdx.x * rows_per_chunk;
    int end = min(rows, first + rows_per_chunk);
    for (int r = first + warp; r < end; r += warps) {
        const float* dyr = dy + (long long)r * cols;
        const float* xr = x + (long long)r * cols;
        float mu = mean[r], inv = rstd[r];
        float g[PER_LANE], xhat[PER_LANE];   // element k·VEC + e is column VEC·(lane + 32k) + e
        float sum_g = 0.0f, sum_g_xhat = 0.0f;
        #pragma unroll
        for (int k = 0; k < SLOTS; ++k) {
            if (VEC * 32 * k >= cols) break;                       // the same k for every lane
            int c = VEC * (lane + 32 * k);
            if (c < cols) {
                float d[VEC], xv[VEC], gm[VEC];
                load_columns<VEC>(dyr, c, d);
                load_columns<VEC>(xr, c, xv);
                load_columns<VEC>(gamma, c, gm);
                #pragma unroll
                for (int e = 0; e < VEC; ++e) {
                    int i = k * VEC + e;
                    xhat[i] = (xv[e] - mu) * inv;
                    g[i] = d[e] * gm[e];
                    sum_g += g[i];
                    sum_g_xhat = fmaf(g[i], xhat[i], sum_g_xhat);
                    acc_gamma[i] = fmaf(d[e], xhat[i], acc_gamma[i]);
                    acc_beta[i] += d[e];
                }
            }
        }
        float mean_g = warp_sum(sum_g) / cols;
        float mean_g_xhat = warp_sum(sum_g_xhat) / cols;
        float* dxr = dx + (long long)r * cols;
        store_row<VEC, SLOTS>(dxr, cols, lane, [&](int i) { return inv * (g[i] - mean_g - xhat[i] * mean_g_xhat); });
    }
    // Warp w adds its sums to those of warps 0 .. w − 1 (in shared memory); the last warp writes the total.
    float* pg = partial + (long long)blockIdx.x * 2 * cols;
    for (int w = 0; w < warps; ++w) {
        if (warp == w) {
            #pragma unroll
            for (int k = 0; k < SLOTS; ++k) {
                if (VEC * 32 * k >= cols) break;
                #pragma unroll
                for (int e = 0; e < VEC; ++e) {
                    int c = VEC * (lane + 32 * k) + e, i = k * VEC + e;
                    if (c >= cols) continue;
                    float sg = w == 0 ? acc_gamma[i] : block_acc[c] + acc_gamma[i];
                    float sb = w == 0 ? acc_beta[i] : block_acc[cols + c] + acc_beta[i];
                    if (w == warps - 1) {
                        pg[c] = sg;
                        pg[cols + c] = sb;
                    } else {
                        block_acc[c] = sg;
                        block_acc[cols + c] = sb;
                    }
                }
            }
        }
        __syncthreads();
    }
}

extern "C" __global__ void layernorm_backward_short_f32(const float* dy, const float* x, const float* gamma,
                                                        const float* mean, const float* rstd, float* dx,
                                                        float* partial, int rows, int cols, int rows_per_chunk)
{
    layernorm_backward_short<1, SHORT_ROW_PER_LANE * 32>(dy, x, gamma, mean, rstd, dx, partial, rows, cols, rows_per_chunk);
}

// Rows of at most 768 columns (BERT-base): four register arrays of 24 floats per lane. ptxas needs
// ~130 registers without a bound; __launch_bounds__(256, 2) caps it at 128 (no spills: see the resource
// report), so two 256-thread blocks (16 warps) fit a multiprocessor instead of one.
extern "C" __global__ void __launch_bounds__(256, 2)
layernorm_backward_768_vec4_f32(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                                float* dx, float* partial, int rows, int cols, int rows_per_chunk)
{
    layernorm_backward_short<4, 768>(dy, x, gamma, mean, rstd, dx, partial, rows, cols, rows_per_chunk);
}

extern "C" __global__ void layernorm_backward_short_vec4_f32(const float* dy, const float* x, const float* gamma,
                                                             const float* mean, const float* rstd, float* dx,
                                                             float* partial, int rows, int cols, int rows_per_chunk)
{
    layernorm_backward_short<4, SHORT_ROW_PER_LANE * 32>(dy, x, gamma, mean, rstd, dx, partial, rows, cols, rows_per_chunk);
}

// Backward for longer rows (> 1024 columns), pass 1 of 2. Thread-to-data mapping: block bx owns the
// same chunk of rows as above and walks it one row at a time with all its threads: thread t handles
// columns t, t + blockDim.x, ... (a row does not fit one warp's registers). The two row means are
// block reductions; dy and x are re-read (from L1/L2) for dx. Each thread accumulates dγ and dβ for
// its own columns in dynamic shared memory (2 · cols floats; only that thread ever touches those
// entries, so no race), and at the end the block writes its partial row as the short kernel does.
extern "C" __global__ void layernorm_backward_f32(const float* dy, const float* x, const float* gamma,
                                                  const float* mean, const float* rstd, float* dx,
                                                  float* partial, int rows, int cols, int rows_per_chunk)
{
    extern __shared__ float column_acc[];       // [0, cols): dγ, [cols, 2·cols): dβ
    __shared__ float block_partial[32];
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
        float mean_g = block_sum(sum_g, block_partial) / cols;
        float mean_g_xhat = block_sum(sum_g_xhat, block_partial) / cols;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            float xhat = (xr[j] - mu) * inv;
            float g = dyr[j] * gamma[j];
            dxr[j] = inv * (g - mean_g - xhat * mean_g_xhat);
        }
    }
    float* pg = partial + (long long)blockIdx.x * 2 * cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        pg[j] = acc_gamma[j];
        pg[cols + j] = acc_beta[j];
    }
}

// Backward, pass 2 of 2: dγ[c] = Σ_chunks partial[chunk][c], dβ[c] = Σ_chunks partial[chunk][cols + c].
// Thread-to-data mapping: block (32, 8); thread (tx, ty) owns output column o = bx · 32 + tx of the
// 2 · cols outputs (dγ then dβ) and adds chunks ty, ty + 8, ty + 16, ... (a warp reads 32 consecutive
// floats of a partial row: coalesced); the 8 sums of a column are then added in ty order through
// shared memory. Eight independent chains of loads per column instead of one long chain: the pass
// takes a few memory latencies rather than one per chunk. One launch for both dγ and dβ.
#define FINISH_LANES 8

extern "C" __global__ void layernorm_backward_finish_f32(const float* partial, float* dgamma, float* dbeta,
                                                         int chunks, int cols)
{
    __shared__ float lane_sum[FINISH_LANES][32 + 1];   // +1: no bank conflicts
    int tx = threadIdx.x, ty = threadIdx.y;
    int o = blockIdx.x * 32 + tx;
    float s = 0.0f;
    if (o < 2 * cols)
        for (int k = ty; k < chunks; k += FINISH_LANES) s += partial[(long long)k * 2 * cols + o];
    lane_sum[ty][tx] = s;
    __syncthreads();
    if (ty == 0 && o < 2 * cols) {
        float total = lane_sum[0][tx];
        for (int l = 1; l < FINISH_LANES; ++l) total += lane_sum[l][tx];
        if (o < cols) dgamma[o] = total;
        else dbeta[o - cols] = total;
    }
}
