// CPU twin: Engine/Cpu/CpuBackend.FusedAttention.cs
// Tests: Tests/CudaBert.Tests/BertKernels/FlashAttentionWgmmaKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperFlashAttentionKernels.cs (taken by the CUDA backend's bf16 fused attention on
// compute capability 9.x when opted in; its backward is flash_attention_wgmma_backward.cu)
//
// Fused attention forward (FlashAttention-2) on Hopper's warpgroup tensor cores: the formulas, layouts, grid,
// padding mask, dropout stream and lse of flash_attention_mma.cu's bf16 forward (read that file first), with
// its two products on wgmma.mma_async instead of mma.sync. Operands rounded to bfloat16, fp32 accumulation,
// the softmax, its sums, lse and the dropout in fp32. Compiled for compute_90a (wgmma exists only on sm_90a).
//
// What changes from the mma.sync kernel, and why:
//   - One instruction per warpgroup: a block is one warpgroup (128 threads, 4 warps) and its 64 query rows are
//     the wgmma's M = 64, so S = Q·Kᵀ for a 64-key tile is D/16 instructions of m64n64k16 (mma.sync: 8·D/16
//     per warp) and O += P·V is 4 of m64nDk16.
//   - The operands are bfloat16 in shared memory, swizzled, read by the tensor cores through descriptors, where
//     the mma.sync kernel keeps fp32 tiles and rounds every fragment as it loads it (each K and V element once
//     per warp, i.e. four times per block). Here each is rounded once, as the tile is stored.
//   - P never leaves the registers: the accumulators of S are, element for element, the A fragments of P·V
//     (below), and wgmma takes A from registers.
//   - V is read N-major through the transpose bit (imm-trans-b = 1): no transposed copy.
//
// Tiles in shared memory (bfloat16, 64 rows of D elements = 2D bytes, W = 2D = 64 or 128): row r of a tile
// (a query of Q, a key of K or V) is stored at r·W; its 16-byte chunk c at chunk c ^ ((r·W / 128) % (W / 16)),
// i.e. the W-byte swizzle of the PTX ISA ("Shared Memory Matrix Layout": the address's bits 4.. XORed with its
// bits 7..), which spreads the tensor cores' reads of 8 rows over all banks. Tiles start on 1024-byte
// boundaries (the swizzle is a function of absolute address bits). Descriptors ("Matrix Descriptor Format"):
// swizzle mode 1 (128-byte) or 2 (64-byte), SBO = 8·W (between 8-row atoms), LBO unused (1).
//   Q: the A operand of S = Q·Kᵀ, K-major (d contiguous). k16 step s (d 16s .. 16s + 15): start + 32·s bytes.
//   K: the B operand of S = Q·Kᵀ (N = keys, K = d), K-major: the same layout and steps as Q.
//   V: the B operand of O = P·V (N = d, K = keys), stored [key][d], so N-major: imm-trans-b = 1; an
//      MN-major swizzled row is W bytes of N (all D of a key) and 8 key-rows make an atom: the same bytes as
//      K's tile. k16 step s (keys 16s .. 16s + 15): start + 16·W·s bytes.
//
// Thread-to-data map: warp w of the warpgroup owns query rows 16w .. 16w + 15 of both products' accumulators
// (PTX ISA, "Matrix fragments for wgmma.mma_async.m64nNk16", f32 D); lane = 4·group + t holds rows
// r_lo = 16w + group and r_hi = r_lo + 8, and in n-tile j (8 columns) columns 8j + 2t, 8j + 2t + 1:
//   s[4j + 0], s[4j + 1] = S[r_lo][keys 8j + 2t, 8j + 2t + 1]       (j = 0 .. 7)
//   s[4j + 2], s[4j + 3] = S[r_hi][keys 8j + 2t, 8j + 2t + 1]
//   o[4j + e]: the same for O with columns d (j = 0 .. D/8 − 1)
// A row's 64 scores are in the 4 lanes of a quad, so its max and sum are 2 shuffles (as in the mma kernel).
//
// Accumulators of S → A registers of P·V ("Matrix fragments for wgmma.mma_async.m64nNk16", A in registers:
// four .b32 registers of two bf16 each; register j holds row 16w + group + 8·(j % 2), columns (k)
// 2t + 8·(j / 2) and + 1 of the step, the lower k in the low half). For the k16 step s (keys 16s .. 16s + 15):
//   a[0] = (row r_lo, keys 16s + 2t, +1)     = s[4·(2s) + 0], s[4·(2s) + 1]
//   a[1] = (row r_hi, keys 16s + 2t, +1)     = s[4·(2s) + 2], s[4·(2s) + 3]
//   a[2] = (row r_lo, keys 16s + 8 + 2t, +1) = s[4·(2s+1) + 0], s[4·(2s+1) + 1]
//   a[3] = (row r_hi, keys 16s + 8 + 2t, +1) = s[4·(2s+1) + 2], s[4·(2s+1) + 3]
// Every lane already holds exactly the probabilities it must supply: no shuffle, no shared memory.
//
// Pipeline (two K/V buffers): per key tile, the block issues S = Q·K_jᵀ (asynchronous), and while the tensor
// cores work it loads tile j + 1's keys and values into the other buffer and draws tile j's dropout flags;
// then a barrier, the wait for S, the online softmax, O += P·V (issued, then waited: the next tile rescales O).
// The copies are plain loads and stores, not cp.async or TMA: Q, K and V are float32 in global memory and
// must be rounded to bfloat16 on the way, which only the threads can do.
//
// Dropout, masks, any Sq and Sk: as flash_attention_mma.cu (keep flags as bytes from flash_attention.cuh's
// draw, keys past the end loaded as zeros with score −∞, rows past the end computed on zeros and not stored).

#include "flash_attention_wgmma.cuh"

#define WG_QUERY_ROWS 64   // the wgmma M: one warpgroup per 64 query rows
#define WG_KEY_TILE 64     // keys per tile: the N of S = Q·Kᵀ, the K of O = P·V

template <int D>
__device__ __forceinline__ void attention_forward_wgmma(const float* q, const float* k, const float* v, const float* mask,
                                                        float* out, float* lse, Attention a)
{
    constexpr int TILE_BYTES = WG_KEY_TILE * 2 * D;   // 64 rows of D bfloat16: 4 or 8 KB
    constexpr int KEY_TILES = WG_KEY_TILE / 8;        // n-tiles of S
    constexpr int D_TILES = D / 8;                    // n-tiles of O
    // Q, then K and V of buffer 0, then of buffer 1.
    __shared__ __align__(1024) unsigned char tiles[5 * TILE_BYTES];
    __shared__ unsigned char keep[WG_QUERY_ROWS * WG_KEY_TILE];
    __shared__ float mask_tile[2][WG_KEY_TILE];
    unsigned char* q_tile = tiles;
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    int row0 = blockIdx.x * WG_QUERY_ROWS;
    int r_lo = 16 * warp + group, r_hi = r_lo + 8;    // this lane's two rows in the block
    int i_lo = row0 + r_lo, i_hi = row0 + r_hi;
    int tiles_count = (a.sk + WG_KEY_TILE - 1) / WG_KEY_TILE;

    // Prologue: Q and tile 0 (buffer 0).
    load_tile<D>(q_tile, q, b, h, a.sq, a.heads, row0, min(WG_QUERY_ROWS, a.sq - row0));
    load_tile<D>(tiles + TILE_BYTES, k, b, h, a.sk, a.heads, 0, min(WG_KEY_TILE, a.sk));
    load_tile<D>(tiles + 2 * TILE_BYTES, v, b, h, a.sk, a.heads, 0, min(WG_KEY_TILE, a.sk));
    for (int e = threadIdx.x; e < min(WG_KEY_TILE, a.sk); e += WG_THREADS) mask_tile[0][e] = mask_log2(mask, (long long)b * a.sk + e);

    float o[D / 2];
    #pragma unroll
    for (int i = 0; i < D / 2; ++i) o[i] = 0.0f;
    float scale_log2 = a.scale * LOG2E;
    // Running max of each row in log2 units (the same in the 4 lanes of a quad), and this lane's part of the row sum.
    float m_lo = negative_infinity(), m_hi = m_lo, l_lo = 0.0f, l_hi = 0.0f;
    unsigned q_address = shared_address(q_tile);

    for (int tile = 0; tile < tiles_count; ++tile) {
        int key0 = tile * WG_KEY_TILE, keys = min(WG_KEY_TILE, a.sk - key0);
        unsigned char* k_tile = tiles + (1 + 2 * (tile % 2)) * TILE_BYTES;
        unsigned char* v_tile = k_tile + TILE_BYTES;
        asm volatile("fence.proxy.async.shared::cta;");   // this thread's stores are visible to the tensor cores ...
        __syncthreads();                                  // ... every thread's, and every thread is done with the last tile's flags

        // S = Q·Kᵀ, asynchronous.
        float s[32];
        #pragma unroll
        for (int i = 0; i < 32; ++i) s[i] = 0.0f;
        unsigned k_address = shared_address(k_tile);
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
        #pragma unroll
        for (int step = 0; step < D / 16; ++step)
            wgmma_scores(s, descriptor<D>(q_address + 32 * step), descriptor<D>(k_address + 32 * step), step > 0);
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");

        // Meanwhile: the next tile into the other buffer, and this tile's dropout flags.
        if (tile + 1 < tiles_count) {
            int next0 = key0 + WG_KEY_TILE, next_keys = min(WG_KEY_TILE, a.sk - next0);
            unsigned char* next_k = tiles + (1 + 2 * ((tile + 1) % 2)) * TILE_BYTES;
            load_tile<D>(next_k, k, b, h, a.sk, a.heads, next0, next_keys);
            load_tile<D>(next_k + TILE_BYTES, v, b, h, a.sk, a.heads, next0, next_keys);
            for (int e = threadIdx.x; e < next_keys; e += WG_THREADS)
                mask_tile[(tile + 1) % 2][e] = mask_log2(mask, (long long)b * a.sk + next0 + e);
        }
        if (a.p > 0.0f)
            draw_dropout_tile<WG_QUERY_ROWS, WG_KEY_TILE, WG_KEY_TILE>(keep, (unsigned char)1, a, bh, row0, key0,
                                                                       min(WG_QUERY_ROWS, a.sq - row0), keys);
        __syncthreads();                                  // the flags are drawn

        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
        #pragma unroll
        for (int i = 0; i < 32; ++i) retire(s[i]);

        // z·log2 e = (scale·log2 e)·s + mask·log2 e (−∞ past the last key); the tile's row maxima over the quad.
        const float* tile_mask = mask_tile[tile % 2];
        float max_lo = negative_infinity(), max_hi = max_lo;
        #pragma unroll
        for (int n = 0; n < KEY_TILES; ++n) {
            #pragma unroll
            for (int e = 0; e < 2; ++e) {
                int j = 8 * n + 2 * t + e;
                bool valid = j < keys;
                s[4 * n + e] = valid ? fmaf(s[4 * n + e], scale_log2, tile_mask[j]) : negative_infinity();
                s[4 * n + e + 2] = valid ? fmaf(s[4 * n + e + 2], scale_log2, tile_mask[j]) : negative_infinity();
                max_lo = fmaxf(max_lo, s[4 * n + e]);
                max_hi = fmaxf(max_hi, s[4 * n + e + 2]);
            }
        }
        float new_lo = fmaxf(m_lo, quad_max(max_lo)), new_hi = fmaxf(m_hi, quad_max(max_hi));
        float rescale_lo = exp2_approx(m_lo - new_lo), rescale_hi = exp2_approx(m_hi - new_hi);   // 2^(−∞) = 0 on the first tile
        l_lo *= rescale_lo;
        l_hi *= rescale_hi;
        #pragma unroll
        for (int d = 0; d < D_TILES; ++d) {
            o[4 * d] *= rescale_lo; o[4 * d + 1] *= rescale_lo; o[4 * d + 2] *= rescale_hi; o[4 * d + 3] *= rescale_hi;
        }
        m_lo = new_lo;
        m_hi = new_hi;

        // e^(z − m') = 2^((z − m')·log2 e), into l; times the dropout factor, into O through P·V.
        #pragma unroll
        for (int n = 0; n < KEY_TILES; ++n) {
            s[4 * n] = exp2_approx(s[4 * n] - m_lo);
            s[4 * n + 1] = exp2_approx(s[4 * n + 1] - m_lo);
            s[4 * n + 2] = exp2_approx(s[4 * n + 2] - m_hi);
            s[4 * n + 3] = exp2_approx(s[4 * n + 3] - m_hi);
            l_lo += s[4 * n] + s[4 * n + 1];
            l_hi += s[4 * n + 2] + s[4 * n + 3];
            if (a.p > 0.0f) {
                #pragma unroll
                for (int e = 0; e < 4; ++e)
                    s[4 * n + e] = keep[(e < 2 ? r_lo : r_hi) * WG_KEY_TILE + 8 * n + 2 * t + e % 2] ? s[4 * n + e] * a.keep_scale : 0.0f;
            }
        }

        // O += P·V: the accumulators of S, rounded to bfloat16, are the A registers (the map at the top of the file).
        unsigned p[WG_KEY_TILE / 16][4];
        #pragma unroll
        for (int step = 0; step < WG_KEY_TILE / 16; ++step) {
            p[step][0] = to_bf16_pair(s[8 * step], s[8 * step + 1]);
            p[step][1] = to_bf16_pair(s[8 * step + 2], s[8 * step + 3]);
            p[step][2] = to_bf16_pair(s[8 * step + 4], s[8 * step + 5]);
            p[step][3] = to_bf16_pair(s[8 * step + 6], s[8 * step + 7]);
        }
        unsigned v_address = shared_address(v_tile);
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
        #pragma unroll
        for (int step = 0; step < WG_KEY_TILE / 16; ++step)
            wgmma_output<D>(o, p[step], descriptor<D>(v_address + 16 * 2 * D * step));
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
        #pragma unroll
        for (int i = 0; i < D / 2; ++i) retire(o[i]);
    }

    l_lo = quad_sum(l_lo);
    l_hi = quad_sum(l_hi);
    float scale_lo = 1.0f / l_lo, scale_hi = 1.0f / l_hi;
    if (i_lo < a.sq) {
        float* row = out + row_start<D>(b, h, a.sq, a.heads, i_lo) + 2 * t;
        #pragma unroll
        for (int d = 0; d < D_TILES; ++d) *reinterpret_cast<float2*>(row + 8 * d) = make_float2(o[4 * d] * scale_lo, o[4 * d + 1] * scale_lo);
        if (t == 0) lse[(long long)bh * a.sq + i_lo] = fmaf(m_lo, LN2, logf(l_lo));   // m is in log2 units
    }
    if (i_hi < a.sq) {
        float* row = out + row_start<D>(b, h, a.sq, a.heads, i_hi) + 2 * t;
        #pragma unroll
        for (int d = 0; d < D_TILES; ++d) *reinterpret_cast<float2*>(row + 8 * d) = make_float2(o[4 * d + 2] * scale_hi, o[4 * d + 3] * scale_hi);
        if (t == 0) lse[(long long)bh * a.sq + i_hi] = fmaf(m_hi, LN2, logf(l_hi));
    }
}

// One instance per head size (parameters: flash_attention.cuh).
#define FLASH_ATTENTION_WGMMA_FORWARD(D)                                                                                    \
extern "C" __global__ void __launch_bounds__(WG_THREADS, 1) flash_attention_forward_d##D##_wgmma_bf16(                   \
    const float* q, const float* k, const float* v, const float* mask, float* out, float* lse, ATTENTION_PARAMETERS)     \
{ attention_forward_wgmma<D>(q, k, v, mask, out, lse, ATTENTION_ARGUMENTS); }

FLASH_ATTENTION_WGMMA_FORWARD(32)
FLASH_ATTENTION_WGMMA_FORWARD(64)
