// CPU twin: Engine/Cpu/CpuBackend.FusedAttention.cs
// Tests: Tests/CudaBert.Tests/BertKernels/FlashAttentionMmaKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Fused multi-head attention (FlashAttention-2) with its matrix products on the tensor cores: the same
// formulas, layouts, dropout stream and grid as flash_attention.cu (read that file first), but each warp
// computes a 16-row slab of the score tile Z = Q·Kᵀ and of the output with mma.sync m16n8k8 TF32
// (operands rounded to 10 mantissa bits with cvt.rna.tf32.f32, fp32 accumulation; the softmax, its sums
// and the dropout stay fp32). Fragment layout of m16n8k8 .tf32 (PTX ISA), lane = 4·group + t:
//   A 16×8 (m×k): a0 = A[group][t], a1 = A[group + 8][t], a2 = A[group][t + 4], a3 = A[group + 8][t + 4]
//   B 8×8 (k×n):  b0 = B[t][group], b1 = B[t + 4][group]
//   C 16×8:       c0, c1 = C[group][2t, 2t + 1],  c2, c3 = C[group + 8][2t, 2t + 1]
//
// Forward: a block of 4 warps owns 64 query rows, warp w rows 16w … 16w + 15; tiles of 64 keys stream
// through shared memory.
//
//                        key tile (64 keys = 8 n-tiles of 8) ───►
//                 ┌────────┬────────┬─────┬────────┐
//   warp 0 rows   │ n-tile │ n-tile │  …  │ n-tile │  S = Q·Kᵀ: a warp's 16 × 64 slab is 8 accumulator
//   0 … 15        │   0    │   1    │     │   7    │  tiles; lane (group, t) holds rows group and group + 8,
//   warp 1 16…31  ├────────┼────────┼─────┼────────┤  columns 8n + 2t and 8n + 2t + 1 of each: 4 of the 64
//   warp 2 32…47  │        │        │     │        │  scores of each of its two rows. A row's 64 scores are
//   warp 3 48…63  │        │        │     │        │  spread over the 4 lanes of a quad (same group), so the
//                 └────────┴────────┴─────┴────────┘  row max is 2 shuffles (xor 1, xor 2).
//
//   Q stays in registers as A fragments for the whole kernel (D/8 k-steps × 4 registers). K is the B
//   operand of S = Q·Kᵀ read as Kᵀ: b0 = K[key 8n + group][8s + t], b1 = … [8s + t + 4].
//   The output O (16 × D per warp) is D/8 accumulator tiles, rescaled by e^(m − m') with the scores.
//
// P·V without a trip through shared memory: the probabilities leave the S = Q·Kᵀ product in accumulator
// layout (lane (group, t): columns 2t, 2t + 1 of each 8-key n-tile) but P·V wants them as A fragments
// (columns t, t + 4 of each 8-key k-step). The mma does not care in which order it sums the 8 terms of
// a k-step, so k-step n takes its keys in the order 8n + 0, 2, 4, 6, 1, 3, 5, 7: A column t is key
// 8n + 2t and column t + 4 is key 8n + 2t + 1, i.e. a0 = c0, a1 = c2, a2 = c1, a3 = c3 of n-tile n, held
// by the same lane already. The B operand (V) follows the same order: b0 = V[8n + 2t][8d + group],
// b1 = V[8n + 2t + 1][8d + group].
//
// Shared-memory rows are D + 4 floats (≡ 4 mod 32 banks): the K read (key 8n + group, column t) hits
// bank 4·group + t and the V read (key 2t (+1), column group) bank 8t + group (+4): the 32 lanes of a
// warp hit 32 distinct banks in both, no conflicts.
//
// Dropout: as in flash_attention.cu the block draws each tile's keep flags before using it (one Philox
// evaluation per 4 consecutive positions), as bytes ([64 rows][64 keys]: 4 KB where floats would push
// the block past 48 KB of static shared memory); a kept probability is multiplied by keep_scale.
//
// Any Sq and Sk: keys past the end are loaded as zeros and their scores set to −∞ (probability 0);
// rows past the end compute on zero queries and are not stored.

#include "flash_attention.cuh"
#include "reduce.cuh"

#define MMA_WARPS 4
#define MMA_THREADS (32 * MMA_WARPS)
#define MMA_QUERY_ROWS (16 * MMA_WARPS)   // forward: 16 rows per warp, the mma's M
#define MMA_KEY_TILE 64                   // forward: keys per shared-memory tile

// x rounded to tf32 (nearest, ties away from zero): the mma reads the sign, the exponent and the top 10
// mantissa bits.
__device__ __forceinline__ unsigned to_tf32(float x)
{
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}

// c += A·B for one 16×8×8 tile (fragments in the layout above).
__device__ __forceinline__ void mma_tf32(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1)
{
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
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

// Copies rows [first, first + count) of head h of batch element b ([B, S, H·D]) into tile[r][c] (row stride
// D + 4), ROWS rows: rows ≥ count are zero-filled. 16 bytes per thread per step; D/4 consecutive threads
// read one row's D floats, so the reads coalesce.
template <int ROWS, int D>
__device__ __forceinline__ void load_rows_zero_filled(float* tile, const float* x, int b, int h, int s, int heads, int first, int count)
{
    constexpr int CHUNKS = D / 4;
    for (int e = threadIdx.x; e < ROWS * CHUNKS; e += blockDim.x) {
        int r = e / CHUNKS, c = 4 * (e % CHUNKS);
        float4 value = r < count ? *reinterpret_cast<const float4*>(x + row_start<D>(b, h, s, heads, first + r) + c)
                                 : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        *reinterpret_cast<float4*>(tile + r * (D + 4) + c) = value;
    }
}

template <int D>
__device__ __forceinline__ void attention_forward_tf32(const float* q, const float* k, const float* v, const float* mask,
                                                       float* out, float* lse, Attention a)
{
    constexpr int STRIDE = D + 4;
    constexpr int D_STEPS = D / 8;                    // k-steps of Q·Kᵀ, n-tiles of O
    constexpr int KEY_STEPS = MMA_KEY_TILE / 8;       // n-tiles of S, k-steps of P·V
    __shared__ __align__(16) float k_tile[MMA_KEY_TILE * STRIDE];
    __shared__ __align__(16) float v_tile[MMA_KEY_TILE * STRIDE];
    __shared__ unsigned char keep[MMA_QUERY_ROWS * MMA_KEY_TILE];
    __shared__ float mask_tile[MMA_KEY_TILE];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    int row0 = blockIdx.x * MMA_QUERY_ROWS;
    int r_lo = 16 * warp + group, r_hi = r_lo + 8;    // this lane's two rows in the block
    int i_lo = row0 + r_lo, i_hi = row0 + r_hi;

    unsigned qa[D_STEPS][4];
    {
        const float* q_lo = q + row_start<D>(b, h, a.sq, a.heads, i_lo);
        const float* q_hi = q + row_start<D>(b, h, a.sq, a.heads, i_hi);
        bool lo = i_lo < a.sq, hi = i_hi < a.sq;
        #pragma unroll
        for (int s = 0; s < D_STEPS; ++s) {
            qa[s][0] = to_tf32(lo ? q_lo[8 * s + t] : 0.0f);
            qa[s][1] = to_tf32(hi ? q_hi[8 * s + t] : 0.0f);
            qa[s][2] = to_tf32(lo ? q_lo[8 * s + t + 4] : 0.0f);
            qa[s][3] = to_tf32(hi ? q_hi[8 * s + t + 4] : 0.0f);
        }
    }
    float o[D_STEPS][4];
    #pragma unroll
    for (int d = 0; d < D_STEPS; ++d) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.0f;
    // Running max of each row (the same in the 4 lanes of a quad), and this lane's part of the row sum:
    // the parts are rescaled alike, so they are added across the quad once, at the end.
    float m_lo = negative_infinity(), m_hi = m_lo, l_lo = 0.0f, l_hi = 0.0f;

    for (int key0 = 0; key0 < a.sk; key0 += MMA_KEY_TILE) {
        int keys = min(MMA_KEY_TILE, a.sk - key0);
        __syncthreads();                                   // every warp is done with the previous tile
        load_rows_zero_filled<MMA_KEY_TILE, D>(k_tile, k, b, h, a.sk, a.heads, key0, keys);
        load_rows_zero_filled<MMA_KEY_TILE, D>(v_tile, v, b, h, a.sk, a.heads, key0, keys);
        for (int e = threadIdx.x; e < keys; e += blockDim.x) mask_tile[e] = mask ? mask[(long long)b * a.sk + key0 + e] : 0.0f;
        if (a.p > 0.0f)
            draw_dropout_tile<MMA_QUERY_ROWS, MMA_KEY_TILE, MMA_KEY_TILE>(keep, (unsigned char)1, a, bh, row0, key0,
                                                                           min(MMA_QUERY_ROWS, a.sq - row0), keys);
        __syncthreads();

        float s[KEY_STEPS][4];
        #pragma unroll
        for (int n = 0; n < KEY_STEPS; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
        #pragma unroll
        for (int ks = 0; ks < D_STEPS; ++ks) {
            #pragma unroll
            for (int n = 0; n < KEY_STEPS; ++n) {
                const float* kr = k_tile + (8 * n + group) * STRIDE + 8 * ks + t;
                mma_tf32(s[n], qa[ks], to_tf32(kr[0]), to_tf32(kr[4]));
            }
        }

        // z = scale·s + mask (−∞ past the last key); the tile's row maxima over the quad.
        float max_lo = negative_infinity(), max_hi = max_lo;
        #pragma unroll
        for (int n = 0; n < KEY_STEPS; ++n) {
            #pragma unroll
            for (int e = 0; e < 2; ++e) {
                int j = 8 * n + 2 * t + e;
                bool valid = j < keys;
                s[n][e] = valid ? fmaf(s[n][e], a.scale, mask_tile[j]) : negative_infinity();
                s[n][e + 2] = valid ? fmaf(s[n][e + 2], a.scale, mask_tile[j]) : negative_infinity();
                max_lo = fmaxf(max_lo, s[n][e]);
                max_hi = fmaxf(max_hi, s[n][e + 2]);
            }
        }
        float new_lo = fmaxf(m_lo, quad_max(max_lo)), new_hi = fmaxf(m_hi, quad_max(max_hi));
        float rescale_lo = expf(m_lo - new_lo), rescale_hi = expf(m_hi - new_hi);   // e^(−∞) = 0 on the first tile
        l_lo *= rescale_lo;
        l_hi *= rescale_hi;
        #pragma unroll
        for (int d = 0; d < D_STEPS; ++d) { o[d][0] *= rescale_lo; o[d][1] *= rescale_lo; o[d][2] *= rescale_hi; o[d][3] *= rescale_hi; }
        m_lo = new_lo;
        m_hi = new_hi;

        // e^(z − m'), into l; times the dropout factor, into O through P·V (k-step n = n-tile n, keys reordered as above).
        #pragma unroll
        for (int n = 0; n < KEY_STEPS; ++n) {
            float e0 = expf(s[n][0] - m_lo), e1 = expf(s[n][1] - m_lo), e2 = expf(s[n][2] - m_hi), e3 = expf(s[n][3] - m_hi);
            l_lo += e0 + e1;
            l_hi += e2 + e3;
            if (a.p > 0.0f) {
                const unsigned char* keep_lo = keep + r_lo * MMA_KEY_TILE + 8 * n + 2 * t;
                const unsigned char* keep_hi = keep + r_hi * MMA_KEY_TILE + 8 * n + 2 * t;
                e0 = keep_lo[0] ? e0 * a.keep_scale : 0.0f;
                e1 = keep_lo[1] ? e1 * a.keep_scale : 0.0f;
                e2 = keep_hi[0] ? e2 * a.keep_scale : 0.0f;
                e3 = keep_hi[1] ? e3 * a.keep_scale : 0.0f;
            }
            unsigned pa[4] = { to_tf32(e0), to_tf32(e2), to_tf32(e1), to_tf32(e3) };
            const float* vr = v_tile + (8 * n + 2 * t) * STRIDE + group;
            #pragma unroll
            for (int d = 0; d < D_STEPS; ++d) mma_tf32(o[d], pa, to_tf32(vr[8 * d]), to_tf32(vr[STRIDE + 8 * d]));
        }
    }

    l_lo = quad_sum(l_lo);
    l_hi = quad_sum(l_hi);
    float inv_lo = 1.0f / l_lo, inv_hi = 1.0f / l_hi;
    if (i_lo < a.sq) {
        float* out_lo = out + row_start<D>(b, h, a.sq, a.heads, i_lo) + 2 * t;
        #pragma unroll
        for (int d = 0; d < D_STEPS; ++d) *reinterpret_cast<float2*>(out_lo + 8 * d) = make_float2(o[d][0] * inv_lo, o[d][1] * inv_lo);
        if (t == 0) lse[(long long)bh * a.sq + i_lo] = m_lo + logf(l_lo);
    }
    if (i_hi < a.sq) {
        float* out_hi = out + row_start<D>(b, h, a.sq, a.heads, i_hi) + 2 * t;
        #pragma unroll
        for (int d = 0; d < D_STEPS; ++d) *reinterpret_cast<float2*>(out_hi + 8 * d) = make_float2(o[d][2] * inv_hi, o[d][3] * inv_hi);
        if (t == 0) lse[(long long)bh * a.sq + i_hi] = m_hi + logf(l_hi);
    }
}

// One instance per head size (parameters: flash_attention.cuh).
#define FLASH_ATTENTION_MMA_KERNELS(D)                                                                                              \
extern "C" __global__ void __launch_bounds__(MMA_THREADS) flash_attention_forward_d##D##_tf32(                                     \
    const float* q, const float* k, const float* v, const float* mask, float* out, float* lse, ATTENTION_PARAMETERS)                \
{ attention_forward_tf32<D>(q, k, v, mask, out, lse, ATTENTION_ARGUMENTS); }

FLASH_ATTENTION_MMA_KERNELS(32)
FLASH_ATTENTION_MMA_KERNELS(64)
