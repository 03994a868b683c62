// CPU twin: Engine/Cpu/CpuBackend.FusedAttention.cs
// Tests: Tests/CudaBert.Tests/BertKernels/FlashAttentionKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Fused multi-head attention (FlashAttention-2, Dao 2023), forward and backward, float32 on CUDA cores.
//
//   forward:  O = dropout(P)·V,  P = softmax(Z),  Z = Q·Kᵀ·scale + mask,  lse_i = log Σ_j exp(Z_ij)
//   backward: D_i = dO_i·O_i,  P_ij = exp(Z_ij − lse_i),  dP_ij = m_ij·(dO_i·V_j),  dS_ij = P_ij·(dP_ij − D_i)
//             dQ_i = scale·Σ_j dS_ij·K_j,  dK_j = scale·Σ_i dS_ij·Q_i,  dV_j = Σ_i m_ij·P_ij·dO_i
// with m_ij the dropout factor (keep_scale = 1/(1 − p) or 0). The [Sq, Sk] matrices Z, P, dP, dS exist
// only a tile at a time, on chip: memory traffic is O(S·d) per head instead of O(S²).
//
// Layout: Q, O, dO, dQ [B, Sq, H·D] and K, V, dK, dV [B, Sk, H·D], as the projections write them (head h
// is columns h·D … h·D + D − 1 of a row; no head split permute). lse and D [B, H, Sq]. mask: the
// additive key mask [B, Sk] or null. Dropout keeps P[b, h, i, j] when the Philox uniform (philox.cuh) at
// stream position offset + ((b·H + h)·Sq + i)·Sk + j is ≥ p: its position in the [B, H, Sq, Sk]
// probability tensor, as the dropout kernel would draw for the separate softmax.
//
// Grid: blockIdx.y = b·H + h (one head of one batch element), blockIdx.x = a block of rows. Any Sq and
// Sk: a tile that runs past the end loads only the rows that exist, and threads past the end take part
// in loads and barriers but compute nothing.
//
// Forward, and the dQ pass of the backward: one thread per query row, 64 rows per block.
//
//                 K/V tiles of 32 keys stream through shared memory ───►
//              ┌──────────┬──────────┬──────────┬─────┐
//   thread 0 → │ z_0,0..31│ z_0,32.. │          │     │   row i of Z, a tile at a time: thread i keeps
//   thread 1 → │          │          │          │     │   q_i and its output row (D floats each) in
//      ⋮       │   tile   │          │          │     │   registers, the running max m_i and sum l_i,
//   thread 63→ │          │          │          │     │   and its 32 scores of the tile in shared memory
//              └──────────┴──────────┴──────────┴─────┘
//   Per tile: z_ij = scale·(q_i·k_j) + mask_j for the 32 keys (k_j read from shared memory by every thread
//   at once: a broadcast), m' = max(m, max_j z_ij), rescale l and o by e^(m − m'), then add e^(z_ij − m')
//   to l and e^(z_ij − m')·m_ij·v_j to o (online softmax). At the end o/l is the output row and
//   m + log l its lse. The dQ pass walks the same tiles with the saved lse instead of a running max.
//
// Backward dK/dV pass: one thread per key row, 64 keys per block; Q and dO tiles of 8 queries stream
// through shared memory. Thread j keeps the dK_j and dV_j sums in registers and k_j, v_j in shared
// memory (rows padded to D + 1 floats, so that thread t reading element c hits bank (t + c) % 32: no
// conflicts). dQ is a separate pass (over query rows, the forward's map) rather than atomics from this
// one: every sum has one owner and a fixed order, so the gradients are bit-reproducible. The dQ pass
// runs first and writes D, which the dK/dV pass reads.
//
// Dropout tiles: each tile's factors m_ij are drawn by the whole block before the tile is used, one
// Philox evaluation per 4 consecutive stream positions (a row of a tile is consecutive keys), into a
// shared [rows][cols + 1] array.

#include "flash_attention.cuh"
#include "philox.cuh"
#include "reduce.cuh"

#define QUERY_ROWS 64   // forward and dQ: threads per block, one query row each
#define KEY_TILE 32     // forward and dQ: keys per shared-memory tile
#define KEY_ROWS 64     // dK/dV: threads per block, one key row each
#define QUERY_TILE 8    // dK/dV: queries per shared-memory tile

// Copies rows [first, first + count) of head h of batch element b ([B, S, H·D]) into tile[r][c]
// (row stride `stride` floats), one float per thread per step: consecutive threads read consecutive
// floats of a row, so the reads coalesce.
template <int D>
__device__ __forceinline__ void load_rows(float* tile, int stride, const float* x, int b, int h, int s, int heads, int first, int count)
{
    for (int e = threadIdx.x; e < count * D; e += blockDim.x) {
        int r = e / D, c = e % D;
        tile[r * stride + c] = x[row_start<D>(b, h, s, heads, first + r) + c];
    }
}

// x·y with four partial sums (columns c ≡ 0, 1, 2, 3 mod 4): four independent chains of D/4 FMAs keep the
// FMA pipeline busy where one chain of D would wait on each previous result. y 16-byte aligned.
template <int D>
__device__ __forceinline__ float dot_row(const float (&x)[D], const float* y)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    #pragma unroll
    for (int c = 0; c < D; c += 4) {
        float4 w = *reinterpret_cast<const float4*>(y + c);
        s0 = fmaf(x[c], w.x, s0); s1 = fmaf(x[c + 1], w.y, s1); s2 = fmaf(x[c + 2], w.z, s2); s3 = fmaf(x[c + 3], w.w, s3);
    }
    return (s0 + s1) + (s2 + s3);
}

template <int D>
__device__ __forceinline__ void add_scaled_row(float (&acc)[D], float w, const float* y)   // acc += w·y, y 16-byte aligned
{
    #pragma unroll
    for (int c = 0; c < D; c += 4) {
        float4 v = *reinterpret_cast<const float4*>(y + c);
        acc[c] = fmaf(w, v.x, acc[c]); acc[c + 1] = fmaf(w, v.y, acc[c + 1]);
        acc[c + 2] = fmaf(w, v.z, acc[c + 2]); acc[c + 3] = fmaf(w, v.w, acc[c + 3]);
    }
}

// Loads one tile of KEY_TILE keys (K, V rows and their mask values) and its dropout factors.
template <int D>
__device__ __forceinline__ void load_key_tile(float* k_tile, float* v_tile, float* mask_tile, float* factors,
                                              const float* k, const float* v, const float* mask, const Attention& a,
                                              int b, int h, int row0, int key0, int keys)
{
    load_rows<D>(k_tile, D, k, b, h, a.sk, a.heads, key0, keys);
    load_rows<D>(v_tile, D, v, b, h, a.sk, a.heads, key0, keys);
    for (int e = threadIdx.x; e < keys; e += blockDim.x) mask_tile[e] = mask ? mask[(long long)b * a.sk + key0 + e] : 0.0f;
    if (a.p > 0.0f) draw_dropout_tile<QUERY_ROWS, KEY_TILE, KEY_TILE + 1>(factors, a.keep_scale, a, b * a.heads + h, row0, key0, min(QUERY_ROWS, a.sq - row0), keys);
}

template <int D>
__device__ __forceinline__ void attention_forward(const float* q, const float* k, const float* v, const float* mask,
                                                  float* out, float* lse, Attention a)
{
    __shared__ __align__(16) float k_tile[KEY_TILE * D];
    __shared__ __align__(16) float v_tile[KEY_TILE * D];
    __shared__ float z_tile[QUERY_ROWS * (KEY_TILE + 1)];
    __shared__ float factors[QUERY_ROWS * (KEY_TILE + 1)];
    __shared__ float mask_tile[KEY_TILE];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int row0 = blockIdx.x * QUERY_ROWS, i = row0 + threadIdx.x;
    bool active = i < a.sq;
    float* z = z_tile + threadIdx.x * (KEY_TILE + 1);

    float qi[D], o[D];
    #pragma unroll
    for (int c = 0; c < D; ++c) { qi[c] = active ? q[row_start<D>(b, h, a.sq, a.heads, i) + c] : 0.0f; o[c] = 0.0f; }
    float m = negative_infinity(), l = 0.0f;

    for (int key0 = 0; key0 < a.sk; key0 += KEY_TILE) {
        int keys = min(KEY_TILE, a.sk - key0);
        __syncthreads();                                   // every thread is done with the previous tile
        load_key_tile<D>(k_tile, v_tile, mask_tile, factors, k, v, mask, a, b, h, row0, key0, keys);
        __syncthreads();
        if (!active) continue;
        float tile_max = negative_infinity();
        for (int j = 0; j < keys; ++j) {
            z[j] = fmaf(dot_row<D>(qi, k_tile + j * D), a.scale, mask_tile[j]);
            tile_max = fmaxf(tile_max, z[j]);
        }
        float m_new = fmaxf(m, tile_max);
        float rescale = expf(m - m_new);                  // e^(−∞) = 0 on the first tile
        l *= rescale;
        #pragma unroll
        for (int c = 0; c < D; ++c) o[c] *= rescale;
        for (int j = 0; j < keys; ++j) {
            float e = expf(z[j] - m_new);
            l += e;
            add_scaled_row<D>(o, a.p > 0.0f ? e * factors[threadIdx.x * (KEY_TILE + 1) + j] : e, v_tile + j * D);
        }
        m = m_new;
    }
    if (!active) return;
    float inv = 1.0f / l;
    #pragma unroll
    for (int c = 0; c < D; ++c) out[row_start<D>(b, h, a.sq, a.heads, i) + c] = o[c] * inv;
    lse[(long long)bh * a.sq + i] = m + logf(l);
}

// dQ_i and D_i (written to delta [B, H, Sq] for the dK/dV pass).
template <int D>
__device__ __forceinline__ void attention_backward_dq(const float* q, const float* k, const float* v, const float* mask,
                                                      const float* out, const float* dout, const float* lse,
                                                      float* delta, float* dq, Attention a)
{
    __shared__ __align__(16) float k_tile[KEY_TILE * D];
    __shared__ __align__(16) float v_tile[KEY_TILE * D];
    __shared__ float dout_rows[QUERY_ROWS * (D + 1)];    // thread t's dO row at t·(D + 1)
    __shared__ float factors[QUERY_ROWS * (KEY_TILE + 1)];  // the tile's m_ij, then (each thread its own row) dS_ij
    __shared__ float mask_tile[KEY_TILE];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int row0 = blockIdx.x * QUERY_ROWS, i = row0 + threadIdx.x;
    bool active = i < a.sq;
    // volatile: read at each use. Cached in registers across the loop over keys, dO_i would take D more
    // registers than the kernel has (q_i and the dQ_i sums already hold 2·D).
    const volatile float* douti = dout_rows + threadIdx.x * (D + 1);
    float* dscores = factors + threadIdx.x * (KEY_TILE + 1);

    load_rows<D>(dout_rows, D + 1, dout, b, h, a.sq, a.heads, row0, min(QUERY_ROWS, a.sq - row0));
    __syncthreads();
    float qi[D], dqi[D];
    float row_lse = 0.0f, d_i = 0.0f;
    if (active) {
        long long start = row_start<D>(b, h, a.sq, a.heads, i);
        #pragma unroll
        for (int c = 0; c < D; ++c) d_i = fmaf(douti[c], out[start + c], d_i);
        delta[(long long)bh * a.sq + i] = d_i;
        row_lse = lse[(long long)bh * a.sq + i];
    }
    #pragma unroll
    for (int c = 0; c < D; ++c) { qi[c] = active ? q[row_start<D>(b, h, a.sq, a.heads, i) + c] : 0.0f; dqi[c] = 0.0f; }

    for (int key0 = 0; key0 < a.sk; key0 += KEY_TILE) {
        int keys = min(KEY_TILE, a.sk - key0);
        __syncthreads();
        load_key_tile<D>(k_tile, v_tile, mask_tile, factors, k, v, mask, a, b, h, row0, key0, keys);
        __syncthreads();
        if (!active) continue;
        // Two passes over the tile, so that no k_j is held in registers from the dot product to the update.
        for (int j = 0; j < keys; ++j) {
            float p_ij = expf(fmaf(dot_row<D>(qi, k_tile + j * D), a.scale, mask_tile[j]) - row_lse);
            float dp = 0.0f;
            #pragma unroll
            for (int c = 0; c < D; ++c) dp = fmaf(douti[c], v_tile[j * D + c], dp);
            if (a.p > 0.0f) dp *= dscores[j];
            dscores[j] = p_ij * (dp - d_i);
        }
        for (int j = 0; j < keys; ++j) add_scaled_row<D>(dqi, dscores[j], k_tile + j * D);
    }
    if (!active) return;
    #pragma unroll
    for (int c = 0; c < D; ++c) dq[row_start<D>(b, h, a.sq, a.heads, i) + c] = dqi[c] * a.scale;
}

template <int D>
__device__ __forceinline__ void attention_backward_dkdv(const float* q, const float* k, const float* v, const float* mask,
                                                        const float* dout, const float* lse, const float* delta,
                                                        float* dk, float* dv, Attention a)
{
    __shared__ float k_rows[KEY_ROWS * (D + 1)];          // thread t's k and v rows at t·(D + 1)
    __shared__ float v_rows[KEY_ROWS * (D + 1)];
    __shared__ __align__(16) float q_tile[QUERY_TILE * D];
    __shared__ __align__(16) float dout_tile[QUERY_TILE * D];
    __shared__ float factors[QUERY_TILE * (KEY_ROWS + 1)];  // m_ij of the tile; column t is thread t's key
    __shared__ float weights[QUERY_TILE * (KEY_ROWS + 1)];  // m_ij·P_ij, dV's weights
    __shared__ float dscores[QUERY_TILE * (KEY_ROWS + 1)];  // dS_ij, dK's weights
    __shared__ float lse_tile[QUERY_TILE], delta_tile[QUERY_TILE];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int key0 = blockIdx.x * KEY_ROWS, j = key0 + threadIdx.x;
    bool active = j < a.sk;
    int keys = min(KEY_ROWS, a.sk - key0);
    // volatile: read at each use. Cached in registers across the loop over queries, k_j and v_j would take
    // 2·D more registers than the kernel has (the dK_j and dV_j sums already hold 2·D).
    const volatile float* kj = k_rows + threadIdx.x * (D + 1);
    const volatile float* vj = v_rows + threadIdx.x * (D + 1);

    load_rows<D>(k_rows, D + 1, k, b, h, a.sk, a.heads, key0, keys);
    load_rows<D>(v_rows, D + 1, v, b, h, a.sk, a.heads, key0, keys);
    float mask_j = active && mask ? mask[(long long)b * a.sk + j] : 0.0f;
    float dkj[D], dvj[D];
    #pragma unroll
    for (int c = 0; c < D; ++c) { dkj[c] = 0.0f; dvj[c] = 0.0f; }

    for (int q0 = 0; q0 < a.sq; q0 += QUERY_TILE) {
        int rows = min(QUERY_TILE, a.sq - q0);
        __syncthreads();
        load_rows<D>(q_tile, D, q, b, h, a.sq, a.heads, q0, rows);
        load_rows<D>(dout_tile, D, dout, b, h, a.sq, a.heads, q0, rows);
        for (int e = threadIdx.x; e < rows; e += blockDim.x) {
            lse_tile[e] = lse[(long long)bh * a.sq + q0 + e];
            delta_tile[e] = delta[(long long)bh * a.sq + q0 + e];
        }
        if (a.p > 0.0f) draw_dropout_tile<QUERY_TILE, KEY_ROWS, KEY_ROWS + 1>(factors, a.keep_scale, a, bh, q0, key0, rows, keys);
        __syncthreads();
        if (!active) continue;
        // Two passes over the tile, so that no q_r or dO_r is held in registers from the dot products to the updates.
        for (int r = 0; r < rows; ++r) {
            const float* qr = q_tile + r * D;
            const float* dor = dout_tile + r * D;
            float s = 0.0f, dp = 0.0f;
            #pragma unroll
            for (int c = 0; c < D; ++c) { s = fmaf(qr[c], kj[c], s); dp = fmaf(dor[c], vj[c], dp); }
            float p_ij = expf(fmaf(s, a.scale, mask_j) - lse_tile[r]);
            float factor = a.p > 0.0f ? factors[r * (KEY_ROWS + 1) + threadIdx.x] : 1.0f;
            weights[r * (KEY_ROWS + 1) + threadIdx.x] = p_ij * factor;
            dscores[r * (KEY_ROWS + 1) + threadIdx.x] = p_ij * (dp * factor - delta_tile[r]);
        }
        for (int r = 0; r < rows; ++r) {
            add_scaled_row<D>(dvj, weights[r * (KEY_ROWS + 1) + threadIdx.x], dout_tile + r * D);
            add_scaled_row<D>(dkj, dscores[r * (KEY_ROWS + 1) + threadIdx.x], q_tile + r * D);
        }
    }
    if (!active) return;
    long long start = row_start<D>(b, h, a.sk, a.heads, j);
    #pragma unroll
    for (int c = 0; c < D; ++c) { dk[start + c] = dkj[c] * a.scale; dv[start + c] = dvj[c]; }
}

// One instance per head size (parameters: flash_attention.cuh).
#define FLASH_ATTENTION_KERNELS(D)                                                                                                  \
extern "C" __global__ void __launch_bounds__(QUERY_ROWS) flash_attention_forward_d##D##_f32(                                       \
    const float* q, const float* k, const float* v, const float* mask, float* out, float* lse, ATTENTION_PARAMETERS)                \
{ attention_forward<D>(q, k, v, mask, out, lse, ATTENTION_ARGUMENTS); }                                                             \
extern "C" __global__ void __launch_bounds__(QUERY_ROWS) flash_attention_backward_dq_d##D##_f32(                                   \
    const float* q, const float* k, const float* v, const float* mask, const float* out, const float* dout, const float* lse,        \
    float* delta, float* dq, ATTENTION_PARAMETERS)                                                                                  \
{ attention_backward_dq<D>(q, k, v, mask, out, dout, lse, delta, dq, ATTENTION_ARGUMENTS); }                                        \
extern "C" __global__ void __launch_bounds__(KEY_ROWS) flash_attention_backward_dkdv_d##D##_f32(                                   \
    const float* q, const float* k, const float* v, const float* mask, const float* dout, const float* lse, const float* delta,      \
    float* dk, float* dv, ATTENTION_PARAMETERS)                                                                                     \
{ attention_backward_dkdv<D>(q, k, v, mask, dout, lse, delta, dk, dv, ATTENTION_ARGUMENTS); }

FLASH_ATTENTION_KERNELS(32)
FLASH_ATTENTION_KERNELS(64)
