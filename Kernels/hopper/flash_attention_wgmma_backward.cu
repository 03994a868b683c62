// CPU twin: Engine/Cpu/CpuBackend.FusedAttention.cs
// Tests: Tests/CudaBert.Tests/BertKernels/FlashAttentionWgmmaBackwardKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperFlashAttentionKernels.cs (taken by the CUDA backend's bf16 fused attention
// backward on compute capability 9.x when opted in)
//
// Fused attention backward (FlashAttention-2) on Hopper's warpgroup tensor cores: the formulas, grids, two
// passes (dQ, then dK/dV; no atomics, every output row has one owning warpgroup), dropout stream and D of
// flash_attention_mma.cu's bf16 backward (read it first), with its products on wgmma.mma_async. It reads the
// out and lse of either bf16 forward. Operands rounded to bfloat16 as they are stored in shared memory (Q, K,
// V, dO) or packed into A registers (P, dS), fp32 accumulation; P, dS, D and the dropout in fp32.
//
// The tiles, swizzle, descriptors and fragment maps are the forward's (flash_attention_wgmma.cu). Each pass
// pairs two products of the forward's S = Q·Kᵀ shape (both operands K-major: a tile's rows are the M or N
// index, d contiguous) with two of its O = P·V shape (A from the accumulators of the first two, B a tile
// stored [row][d] read N-major through imm-trans-b = 1):
//
//   pass    M (block)     products from shared memory    products with A in registers
//   dQ      64 queries    S = Q·Kᵀ,   dP = dO·Vᵀ         dQ += dS·K     (K N-major)
//   dK/dV   64 keys       Sᵀ = K·Qᵀ,  dPᵀ = V·dOᵀ        dV += Pᵀ·dO    (dO N-major)
//                                                        dK += dSᵀ·Q    (Q N-major)
//
// So a tile that streams (K, V in the dQ pass; Q, dO in the dK/dV pass) is read both ways: K-major by the
// first product, N-major by the second. The same bytes serve both (as the forward's K and V tiles share one
// layout).
//
// Thread-to-data map: the forward's, with the block's 64 rows being queries (dQ pass) or keys (dK/dV pass) and
// the accumulator columns the other side. Lane 4·group + t of warp w holds rows r_lo = 16w + group and
// r_hi = r_lo + 8, and in n-tile n (8 columns) columns 8n + 2t, 8n + 2t + 1:
//   s[4n + e] = S[e < 2 ? r_lo : r_hi][column 8n + 2t + e % 2]                 (dQ: column = key j)
//   s[4n + e] = Sᵀ[e < 2 ? r_lo : r_hi][column 8n + 2t + e % 2]                (dK/dV: column = query i)
// and dP, dPᵀ alike; the dropout flag of element (query i, key j) is keep[i·64 + j] in both passes (one draw
// of flash_attention.cuh over the 64 × 64 tile, rows = queries). The A registers of the second products are
// packed from these accumulators as the forward packs P (k16 step s: s[8s .. 8s + 7]).
//
// Per pass and tile (two buffers, the next tile loaded while the tensor cores work): issue the two products
// from shared memory; load the next tile into the other buffer and draw this tile's dropout flags; wait; P,
// dS in fp32 in place; issue the one or two register-A products; wait (the next tile reuses the buffer).
// dQ pass:     P = e^(z − lse_i), dS = P ⊙ (m·dP − D_i), with m the dropout factor (0 or 1/(1 − p)).
// dK/dV pass:  the same elements transposed; the dV weights are m·Pᵀ.
// D_i = dO_i · O_i (fp32, the mma kernel's order) is computed by the dQ pass and written to delta.
//
// Shared memory: six bfloat16 tiles (two that stay, two buffers of two that stream), 24 KB for d = 32 and 48 KB
// for 64, dynamic (past the 48 KB of static memory with the flags), aligned up to 1024 bytes for the swizzle.

#include "flash_attention_wgmma.cuh"

// The six tiles, 1024-byte aligned, from the dynamic shared memory: [0], [1] the block's own rows (Q and dO, or
// K and V), [2 + 2·buffer], [3 + 2·buffer] the streaming pair.
__device__ __forceinline__ unsigned char* aligned_tiles()
{
    extern __shared__ unsigned char dynamic_shared[];
    unsigned start = shared_address(dynamic_shared);
    return dynamic_shared + (((start + 1023) & ~1023u) - start);
}

// The A registers of one k16 step (columns 16·step .. 16·step + 15) from accumulators x, rounded to bfloat16.
__device__ __forceinline__ void pack_a(unsigned (&a)[4], const float (&x)[32], int step)
{
    a[0] = to_bf16_pair(x[8 * step], x[8 * step + 1]);
    a[1] = to_bf16_pair(x[8 * step + 2], x[8 * step + 3]);
    a[2] = to_bf16_pair(x[8 * step + 4], x[8 * step + 5]);
    a[3] = to_bf16_pair(x[8 * step + 6], x[8 * step + 7]);
}

// dQ pass: a block per 64 queries, key tiles of 64 streaming.
template <int D>
__device__ __forceinline__ void attention_backward_dq_wgmma(const float* q, const float* k, const float* v, const float* mask,
                                                            const float* out, const float* dout, const float* lse,
                                                            float* delta, float* dq, Attention a)
{
    constexpr int TILE_BYTES = WG_TILE_ROWS * 2 * D;
    constexpr int KEY_TILES = WG_TILE_ROWS / 8;      // n-tiles of S and dP
    unsigned char* tiles = aligned_tiles();
    __shared__ unsigned char keep[WG_TILE_ROWS * WG_TILE_ROWS];
    __shared__ float mask_tile[2][WG_TILE_ROWS];
    __shared__ float lse_rows[WG_TILE_ROWS], delta_rows[WG_TILE_ROWS];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    int row0 = blockIdx.x * WG_TILE_ROWS, rows = min(WG_TILE_ROWS, a.sq - row0);
    int r_lo = 16 * warp + group, r_hi = r_lo + 8;
    int i_lo = row0 + r_lo, i_hi = row0 + r_hi;
    int tiles_count = (a.sk + WG_TILE_ROWS - 1) / WG_TILE_ROWS;

    stage_delta_and_lse<D, WG_TILE_ROWS>(out, dout, lse, delta, a, b, h, bh, row0, delta_rows, lse_rows);
    load_tile<D>(tiles, q, b, h, a.sq, a.heads, row0, rows);
    load_tile<D>(tiles + TILE_BYTES, dout, b, h, a.sq, a.heads, row0, rows);
    load_tile<D>(tiles + 2 * TILE_BYTES, k, b, h, a.sk, a.heads, 0, min(WG_TILE_ROWS, a.sk));
    load_tile<D>(tiles + 3 * TILE_BYTES, v, b, h, a.sk, a.heads, 0, min(WG_TILE_ROWS, a.sk));
    for (int e = threadIdx.x; e < min(WG_TILE_ROWS, a.sk); e += WG_THREADS) mask_tile[0][e] = mask_log2(mask, (long long)b * a.sk + e);

    float dqa[D / 2];
    #pragma unroll
    for (int i = 0; i < D / 2; ++i) dqa[i] = 0.0f;
    float scale_log2 = a.scale * LOG2E;
    unsigned q_address = shared_address(tiles), dout_address = q_address + TILE_BYTES;

    for (int tile = 0; tile < tiles_count; ++tile) {
        int key0 = tile * WG_TILE_ROWS, keys = min(WG_TILE_ROWS, a.sk - key0);
        unsigned char* k_tile = tiles + (2 + 2 * (tile % 2)) * TILE_BYTES;
        unsigned k_address = shared_address(k_tile), v_address = k_address + TILE_BYTES;
        asm volatile("fence.proxy.async.shared::cta;");   // this thread's stores are visible to the tensor cores ...
        __syncthreads();                                  // ... every thread's, and every thread is done with the last tile's flags

        // S = Q·Kᵀ and dP = dO·Vᵀ, asynchronous.
        float s[32], dp[32];
        #pragma unroll
        for (int i = 0; i < 32; ++i) s[i] = dp[i] = 0.0f;
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
        #pragma unroll
        for (int step = 0; step < D / 16; ++step) {
            wgmma_scores(s, descriptor<D>(q_address + 32 * step), descriptor<D>(k_address + 32 * step), step > 0);
            wgmma_scores(dp, descriptor<D>(dout_address + 32 * step), descriptor<D>(v_address + 32 * step), step > 0);
        }
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");

        // Meanwhile: the next key tile into the other buffer, and this tile's dropout flags.
        if (tile + 1 < tiles_count) {
            int next0 = key0 + WG_TILE_ROWS, next_keys = min(WG_TILE_ROWS, a.sk - next0);
            unsigned char* next_k = tiles + (2 + 2 * ((tile + 1) % 2)) * TILE_BYTES;
            load_tile<D>(next_k, k, b, h, a.sk, a.heads, next0, next_keys);
            load_tile<D>(next_k + TILE_BYTES, v, b, h, a.sk, a.heads, next0, next_keys);
            for (int e = threadIdx.x; e < next_keys; e += WG_THREADS)
                mask_tile[(tile + 1) % 2][e] = mask_log2(mask, (long long)b * a.sk + next0 + e);
        }
        if (a.p > 0.0f)
            draw_dropout_tile<WG_TILE_ROWS, WG_TILE_ROWS, WG_TILE_ROWS>(keep, (unsigned char)1, a, bh, row0, key0, rows, keys);
        __syncthreads();                                  // the flags are drawn

        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
        #pragma unroll
        for (int i = 0; i < 32; ++i) { retire(s[i]); retire(dp[i]); }

        // s becomes dS in place: element 4n + e is row e < 2 ? r_lo : r_hi, key 8n + 2t + e % 2 of the tile.
        const float* tile_mask = mask_tile[tile % 2];
        #pragma unroll
        for (int n = 0; n < KEY_TILES; ++n) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                int r = e < 2 ? r_lo : r_hi, j = 8 * n + 2 * t + e % 2;
                float p_ij = j < keys ? exp2_approx(fmaf(s[4 * n + e], scale_log2, tile_mask[j]) - lse_rows[r]) : 0.0f;
                float dp_ij = a.p > 0.0f ? (keep[r * WG_TILE_ROWS + j] ? dp[4 * n + e] * a.keep_scale : 0.0f) : dp[4 * n + e];
                s[4 * n + e] = p_ij * (dp_ij - delta_rows[r]);
            }
        }

        // dQ += dS·K: dS from registers, K N-major (imm-trans-b = 1), k16 steps of 16 keys.
        unsigned ds[WG_TILE_ROWS / 16][4];
        #pragma unroll
        for (int step = 0; step < WG_TILE_ROWS / 16; ++step) pack_a(ds[step], s, step);
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
        #pragma unroll
        for (int step = 0; step < WG_TILE_ROWS / 16; ++step)
            wgmma_output<D>(dqa, ds[step], descriptor<D>(k_address + 16 * 2 * D * step));
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
        #pragma unroll
        for (int i = 0; i < D / 2; ++i) retire(dqa[i]);
    }

    #pragma unroll
    for (int d = 0; d < D / 8; ++d) {
        if (i_lo < a.sq)
            *reinterpret_cast<float2*>(dq + row_start<D>(b, h, a.sq, a.heads, i_lo) + 8 * d + 2 * t) =
                make_float2(dqa[4 * d] * a.scale, dqa[4 * d + 1] * a.scale);
        if (i_hi < a.sq)
            *reinterpret_cast<float2*>(dq + row_start<D>(b, h, a.sq, a.heads, i_hi) + 8 * d + 2 * t) =
                make_float2(dqa[4 * d + 2] * a.scale, dqa[4 * d + 3] * a.scale);
    }
}

// dK/dV pass: a block per 64 keys, query tiles of 64 streaming; reads the dQ pass's delta.
template <int D>
__device__ __forceinline__ void attention_backward_dkdv_wgmma(const float* q, const float* k, const float* v, const float* mask,
                                                              const float* dout, const float* lse, const float* delta,
                                                              float* dk, float* dv, Attention a)
{
    constexpr int TILE_BYTES = WG_TILE_ROWS * 2 * D;
    constexpr int QUERY_TILES = WG_TILE_ROWS / 8;    // n-tiles of Sᵀ and dPᵀ
    unsigned char* tiles = aligned_tiles();
    __shared__ unsigned char keep[WG_TILE_ROWS * WG_TILE_ROWS];   // [query][key of the block]
    __shared__ float lse_tile[2][WG_TILE_ROWS], delta_tile[2][WG_TILE_ROWS];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    int key0 = blockIdx.x * WG_TILE_ROWS, keys = min(WG_TILE_ROWS, a.sk - key0);
    int r_lo = 16 * warp + group, r_hi = r_lo + 8;    // this lane's two keys in the block
    int j_lo = key0 + r_lo, j_hi = key0 + r_hi;
    int tiles_count = (a.sq + WG_TILE_ROWS - 1) / WG_TILE_ROWS;

    load_tile<D>(tiles, k, b, h, a.sk, a.heads, key0, keys);
    load_tile<D>(tiles + TILE_BYTES, v, b, h, a.sk, a.heads, key0, keys);
    load_tile<D>(tiles + 2 * TILE_BYTES, q, b, h, a.sq, a.heads, 0, min(WG_TILE_ROWS, a.sq));
    load_tile<D>(tiles + 3 * TILE_BYTES, dout, b, h, a.sq, a.heads, 0, min(WG_TILE_ROWS, a.sq));
    for (int e = threadIdx.x; e < min(WG_TILE_ROWS, a.sq); e += WG_THREADS) {
        lse_tile[0][e] = lse[(long long)bh * a.sq + e] * LOG2E;
        delta_tile[0][e] = delta[(long long)bh * a.sq + e];
    }
    float scale_log2 = a.scale * LOG2E;
    float mask_lo = j_lo < a.sk ? mask_log2(mask, (long long)b * a.sk + j_lo) : 0.0f;   // log2 units
    float mask_hi = j_hi < a.sk ? mask_log2(mask, (long long)b * a.sk + j_hi) : 0.0f;
    float dka[D / 2], dva[D / 2];
    #pragma unroll
    for (int i = 0; i < D / 2; ++i) dka[i] = dva[i] = 0.0f;
    unsigned k_address = shared_address(tiles), v_address = k_address + TILE_BYTES;

    for (int tile = 0; tile < tiles_count; ++tile) {
        int q0 = tile * WG_TILE_ROWS, rows = min(WG_TILE_ROWS, a.sq - q0);
        unsigned char* q_tile = tiles + (2 + 2 * (tile % 2)) * TILE_BYTES;
        unsigned q_address = shared_address(q_tile), dout_address = q_address + TILE_BYTES;
        asm volatile("fence.proxy.async.shared::cta;");
        __syncthreads();

        // Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ, asynchronous.
        float s[32], dp[32];
        #pragma unroll
        for (int i = 0; i < 32; ++i) s[i] = dp[i] = 0.0f;
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
        #pragma unroll
        for (int step = 0; step < D / 16; ++step) {
            wgmma_scores(s, descriptor<D>(k_address + 32 * step), descriptor<D>(q_address + 32 * step), step > 0);
            wgmma_scores(dp, descriptor<D>(v_address + 32 * step), descriptor<D>(dout_address + 32 * step), step > 0);
        }
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");

        // Meanwhile: the next query tile (Q, dO, lse, D) into the other buffer, and this tile's dropout flags.
        if (tile + 1 < tiles_count) {
            int next0 = q0 + WG_TILE_ROWS, next_rows = min(WG_TILE_ROWS, a.sq - next0), next = (tile + 1) % 2;
            unsigned char* next_q = tiles + (2 + 2 * next) * TILE_BYTES;
            load_tile<D>(next_q, q, b, h, a.sq, a.heads, next0, next_rows);
            load_tile<D>(next_q + TILE_BYTES, dout, b, h, a.sq, a.heads, next0, next_rows);
            for (int e = threadIdx.x; e < next_rows; e += WG_THREADS) {
                lse_tile[next][e] = lse[(long long)bh * a.sq + next0 + e] * LOG2E;
                delta_tile[next][e] = delta[(long long)bh * a.sq + next0 + e];
            }
        }
        if (a.p > 0.0f)
            draw_dropout_tile<WG_TILE_ROWS, WG_TILE_ROWS, WG_TILE_ROWS>(keep, (unsigned char)1, a, bh, q0, key0, rows, keys);
        __syncthreads();

        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
        #pragma unroll
        for (int i = 0; i < 32; ++i) { retire(s[i]); retire(dp[i]); }

        // s becomes the dV weights m·Pᵀ and dp becomes dSᵀ, in place: element 4n + e is key e < 2 ? r_lo : r_hi,
        // query 8n + 2t + e % 2 of the tile.
        const float* tile_lse = lse_tile[tile % 2];
        const float* tile_delta = delta_tile[tile % 2];
        #pragma unroll
        for (int n = 0; n < QUERY_TILES; ++n) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                int r = e < 2 ? r_lo : r_hi, i = 8 * n + 2 * t + e % 2;
                float p_ij = i < rows ? exp2_approx(fmaf(s[4 * n + e], scale_log2, e < 2 ? mask_lo : mask_hi) - tile_lse[i]) : 0.0f;
                float factor = a.p > 0.0f ? (keep[i * WG_TILE_ROWS + r] ? a.keep_scale : 0.0f) : 1.0f;
                s[4 * n + e] = p_ij * factor;
                dp[4 * n + e] = i < rows ? p_ij * (dp[4 * n + e] * factor - tile_delta[i]) : 0.0f;
            }
        }

        // dV += (m·Pᵀ)·dO and dK += dSᵀ·Q: weights from registers, dO and Q N-major (imm-trans-b = 1), k16 steps of
        // 16 queries.
        unsigned pa[WG_TILE_ROWS / 16][4], dsa[WG_TILE_ROWS / 16][4];
        #pragma unroll
        for (int step = 0; step < WG_TILE_ROWS / 16; ++step) {
            pack_a(pa[step], s, step);
            pack_a(dsa[step], dp, step);
        }
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
        #pragma unroll
        for (int step = 0; step < WG_TILE_ROWS / 16; ++step) {
            wgmma_output<D>(dva, pa[step], descriptor<D>(dout_address + 16 * 2 * D * step));
            wgmma_output<D>(dka, dsa[step], descriptor<D>(q_address + 16 * 2 * D * step));
        }
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
        #pragma unroll
        for (int i = 0; i < D / 2; ++i) { retire(dka[i]); retire(dva[i]); }
    }

    #pragma unroll
    for (int d = 0; d < D / 8; ++d) {
        if (j_lo < a.sk) {
            long long start = row_start<D>(b, h, a.sk, a.heads, j_lo) + 8 * d + 2 * t;
            *reinterpret_cast<float2*>(dk + start) = make_float2(dka[4 * d] * a.scale, dka[4 * d + 1] * a.scale);
            *reinterpret_cast<float2*>(dv + start) = make_float2(dva[4 * d], dva[4 * d + 1]);
        }
        if (j_hi < a.sk) {
            long long start = row_start<D>(b, h, a.sk, a.heads, j_hi) + 8 * d + 2 * t;
            *reinterpret_cast<float2*>(dk + start) = make_float2(dka[4 * d + 2] * a.scale, dka[4 * d + 3] * a.scale);
            *reinterpret_cast<float2*>(dv + start) = make_float2(dva[4 * d + 2], dva[4 * d + 3]);
        }
    }
}

// One instance per head size (parameters: flash_attention.cuh); the launcher runs dQ first (it writes delta).
#define FLASH_ATTENTION_WGMMA_BACKWARD(D)                                                                                   \
extern "C" __global__ void __launch_bounds__(WG_THREADS, 1) flash_attention_backward_dq_d##D##_wgmma_bf16(              \
    const float* q, const float* k, const float* v, const float* mask, const float* out, const float* dout, const float* lse, \
    float* delta, float* dq, ATTENTION_PARAMETERS)                                                                       \
{ attention_backward_dq_wgmma<D>(q, k, v, mask, out, dout, lse, delta, dq, ATTENTION_ARGUMENTS); }                       \
extern "C" __global__ void __launch_bounds__(WG_THREADS, 1) flash_attention_backward_dkdv_d##D##_wgmma_bf16(            \
    const float* q, const float* k, const float* v, const float* mask, const float* dout, const float* lse, const float* delta, \
    float* dk, float* dv, ATTENTION_PARAMETERS)                                                                          \
{ attention_backward_dkdv_wgmma<D>(q, k, v, mask, dout, lse, delta, dk, dv, ATTENTION_ARGUMENTS); }

FLASH_ATTENTION_WGMMA_BACKWARD(32)
FLASH_ATTENTION_WGMMA_BACKWARD(64)
