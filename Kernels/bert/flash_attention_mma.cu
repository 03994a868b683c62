// CPU twin: Engine/Cpu/CpuBackend.FusedAttention.cs
// Tests: Tests/CudaBert.Tests/BertKernels/FlashAttentionMmaKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Fused multi-head attention (FlashAttention-2) with its matrix products on the tensor cores: the same
// formulas, layouts, dropout stream, grids and two-pass backward as flash_attention.cu (read that file
// first), but each warp computes a 16-row slab of the score tile Z = Q·Kᵀ and of the output with mma.sync:
// m16n8k8 TF32 (operands rounded to 10 mantissa bits with cvt.rna.tf32.f32) or m16n8k16 bf16 (operands
// rounded to bfloat16 as they go into fragments), fp32 accumulation; the softmax, its sums, lse, D and the
// dropout stay fp32. The operand type is a template parameter (Tf32, Bf16 below); the comments here draw
// the TF32 case. Fragment layout of m16n8k8 .tf32 (PTX ISA), lane = 4·group + t:
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
//
// Backward: the dQ pass has the forward's map; the dK/dV pass the transposed one (a warp per 16 keys, query
// tiles streaming). Each tile pairs an "A in registers times a tile read transposed" product
// (Q·Kᵀ, dO·Vᵀ, K·Qᵀ, V·dOᵀ) with a "weights in accumulator layout times a tile" one (P·V, dS·K, dSᵀ·Q,
// (m·P)ᵀ·dO): the two helpers below. No atomics: every output row has one owning warp.

#include "flash_attention.cuh"
#include "flash_attention_softmax.cuh"
#include "philox.cuh"

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

// The operand types, as what the kernels need to know of them: the mma's k, the shared-memory row padding,
// and which elements a lane's registers hold. A k-step's A fragment is 4 registers (a0, a1: rows group and
// group + 8, first half of the step's k; a2, a3: second half) and its B fragment 2 (b0, b1: the two halves).
//
// TF32: mma.sync m16n8k8, one element per register: half h of a step holds k = t + 4h.
struct Tf32 {
    static constexpr int K = 8;
    static constexpr int PAD = 4;    // rows of D + 4 floats: conflict-free (see the top of the file)

    // Register `half` of a lane's k-step along a row whose step starts at x.
    __device__ __forceinline__ static unsigned along_row(const float* x, int half, int t) { return to_tf32(x[t + 4 * half]); }

    // Register `half` of k-step `step` down a column (x: its element in row 0; rows `stride` apart), in the
    // reordered k of the P·V trick: row 8·step + 2t + half.
    __device__ __forceinline__ static unsigned down_column(const float* x, int stride, int step, int half, int t)
    {
        return to_tf32(x[(8 * step + 2 * t + half) * stride]);
    }

    // The A fragment of k-step `step` from 16 × 8N accumulators w: n-tile `step` itself, c0, c2, c1, c3.
    template <int N>
    __device__ __forceinline__ static void from_accumulators(unsigned (&a)[4], const float (&w)[N][4], int step)
    {
        a[0] = to_tf32(w[step][0]); a[1] = to_tf32(w[step][2]); a[2] = to_tf32(w[step][1]); a[3] = to_tf32(w[step][3]);
    }

    __device__ __forceinline__ static void mma(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1)
    {
        asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
};

// BF16: mma.sync m16n8k16, two elements per register (the lower k in the low half): half h of a step holds
// k = 2t + 8h and 2t + 8h + 1. Here the accumulator layout of two adjacent n-tiles is already the A layout
// of one 16-key step (n-tile 2s: keys 16s + 2t, +1 = register 0 (row group) and 1 (row group + 8); n-tile
// 2s + 1: keys 16s + 8 + 2t, +1 = registers 2 and 3): no reordering. Rows of D + 8 floats: the row reads
// (two adjacent floats at 8·group + 2t) are conflict-free, the column reads (rows 2t, 2t + 1, column group)
// meet 2-way conflicts.
struct Bf16 {
    static constexpr int K = 16;
    static constexpr int PAD = 8;

    __device__ __forceinline__ static unsigned along_row(const float* x, int half, int t)
    {
        return to_bf16_pair(x[2 * t + 8 * half], x[2 * t + 8 * half + 1]);
    }

    __device__ __forceinline__ static unsigned down_column(const float* x, int stride, int step, int half, int t)
    {
        int row = 16 * step + 8 * half + 2 * t;
        return to_bf16_pair(x[row * stride], x[(row + 1) * stride]);
    }

    template <int N>
    __device__ __forceinline__ static void from_accumulators(unsigned (&a)[4], const float (&w)[N][4], int step)
    {
        a[0] = to_bf16_pair(w[2 * step][0], w[2 * step][1]);
        a[1] = to_bf16_pair(w[2 * step][2], w[2 * step][3]);
        a[2] = to_bf16_pair(w[2 * step + 1][0], w[2 * step + 1][1]);
        a[3] = to_bf16_pair(w[2 * step + 1][2], w[2 * step + 1][3]);
    }

    __device__ __forceinline__ static void mma(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1)
    {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
};

// Copies rows [first, first + count) of head h of batch element b ([B, S, H·D]) into tile[r][c] (row stride
// STRIDE), ROWS rows: rows ≥ count are zero-filled. 16 bytes per thread per step; D/4 consecutive threads
// read one row's D floats, so the reads coalesce.
template <int ROWS, int D, int STRIDE>
__device__ __forceinline__ void load_rows_zero_filled(float* tile, const float* x, int b, int h, int s, int heads, int first, int count)
{
    constexpr int CHUNKS = D / 4;
    for (int e = threadIdx.x; e < ROWS * CHUNKS; e += blockDim.x) {
        int r = e / CHUNKS, c = 4 * (e % CHUNKS);
        float4 value = r < count ? *reinterpret_cast<const float4*>(x + row_start<D>(b, h, s, heads, first + r) + c)
                                 : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        *reinterpret_cast<float4*>(tile + r * STRIDE + c) = value;
    }
}

// The A fragments of rows i_lo, i_hi (lane rows group, group + 8 of a warp's slab) of a [B, S, H·D] tensor, zero
// past row s − 1.
template <typename Op, int D>
__device__ __forceinline__ void load_a_fragments(unsigned (&frag)[D / Op::K][4], const float* x, int b, int h, int s, int heads,
                                                 int i_lo, int i_hi, int t)
{
    const float* x_lo = x + row_start<D>(b, h, s, heads, i_lo);
    const float* x_hi = x + row_start<D>(b, h, s, heads, i_hi);
    bool lo = i_lo < s, hi = i_hi < s;
    #pragma unroll
    for (int k = 0; k < D / Op::K; ++k) {
        frag[k][0] = lo ? Op::along_row(x_lo + Op::K * k, 0, t) : 0u;
        frag[k][1] = hi ? Op::along_row(x_hi + Op::K * k, 0, t) : 0u;
        frag[k][2] = lo ? Op::along_row(x_lo + Op::K * k, 1, t) : 0u;
        frag[k][3] = hi ? Op::along_row(x_hi + Op::K * k, 1, t) : 0u;
    }
}

// c[n] += A·Bᵀ over D for the N n-tiles of a tile stored [N·8 rows][D + PAD]: A in registers (a warp's 16 rows),
// B's column 8n + group is tile row 8n + group (the K read of the forward).
template <typename Op, int D, int N>
__device__ __forceinline__ void mma_a_times_tile_transposed(float (&c)[N][4], const unsigned (&a)[D / Op::K][4], const float* tile,
                                                            int group, int t)
{
    #pragma unroll
    for (int ks = 0; ks < D / Op::K; ++ks) {
        #pragma unroll
        for (int n = 0; n < N; ++n) {
            const float* r = tile + (8 * n + group) * (D + Op::PAD) + Op::K * ks;
            Op::mma(c[n], a[ks], Op::along_row(r, 0, t), Op::along_row(r, 1, t));
        }
    }
}

// acc[d] += W·X for a warp's 16 × 8N weights W in accumulator layout and X the tile [8N rows][D + PAD]: W's
// accumulators are its A fragments (Op::from_accumulators), X's rows are read in the matching order.
template <typename Op, int D, int N>
__device__ __forceinline__ void mma_weights_times_tile(float (&acc)[D / 8][4], const float (&w)[N][4], const float* tile, int group, int t)
{
    constexpr int STRIDE = D + Op::PAD;
    #pragma unroll
    for (int step = 0; step < 8 * N / Op::K; ++step) {
        unsigned wa[4];
        Op::template from_accumulators<N>(wa, w, step);
        #pragma unroll
        for (int d = 0; d < D / 8; ++d)
            Op::mma(acc[d], wa, Op::down_column(tile + 8 * d + group, STRIDE, step, 0, t), Op::down_column(tile + 8 * d + group, STRIDE, step, 1, t));
    }
}

// Stores rows i_lo, i_hi (when < s) of a warp's 16 × D accumulators, times scale_lo and scale_hi, into a
// [B, S, H·D] tensor: each lane writes 2 consecutive floats per n-tile.
template <int D>
__device__ __forceinline__ void store_rows(float* x, const float (&acc)[D / 8][4], float scale_lo, float scale_hi, int b, int h, int s,
                                           int heads, int i_lo, int i_hi, int t)
{
    if (i_lo < s) {
        float* row = x + row_start<D>(b, h, s, heads, i_lo) + 2 * t;
        #pragma unroll
        for (int d = 0; d < D / 8; ++d) *reinterpret_cast<float2*>(row + 8 * d) = make_float2(acc[d][0] * scale_lo, acc[d][1] * scale_lo);
    }
    if (i_hi < s) {
        float* row = x + row_start<D>(b, h, s, heads, i_hi) + 2 * t;
        #pragma unroll
        for (int d = 0; d < D / 8; ++d) *reinterpret_cast<float2*>(row + 8 * d) = make_float2(acc[d][2] * scale_hi, acc[d][3] * scale_hi);
    }
}

template <typename Op, int D>
__device__ __forceinline__ void attention_forward(const float* q, const float* k, const float* v, const float* mask,
                                                       float* out, float* lse, Attention a)
{
    constexpr int STRIDE = D + Op::PAD;
    constexpr int D_STEPS = D / 8;                    // n-tiles of O
    constexpr int KEY_STEPS = MMA_KEY_TILE / 8;       // n-tiles of S
    __shared__ __align__(16) float k_tile[MMA_KEY_TILE * STRIDE];
    __shared__ __align__(16) float v_tile[MMA_KEY_TILE * STRIDE];
    __shared__ unsigned char keep[MMA_QUERY_ROWS * MMA_KEY_TILE];
    __shared__ float mask_tile[MMA_KEY_TILE];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    int row0 = blockIdx.x * MMA_QUERY_ROWS;
    int r_lo = 16 * warp + group, r_hi = r_lo + 8;    // this lane's two rows in the block
    int i_lo = row0 + r_lo, i_hi = row0 + r_hi;

    unsigned qa[D / Op::K][4];
    load_a_fragments<Op, D>(qa, q, b, h, a.sq, a.heads, i_lo, i_hi, t);
    float o[D_STEPS][4];
    #pragma unroll
    for (int d = 0; d < D_STEPS; ++d) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.0f;
    float scale_log2 = a.scale * LOG2E;
    // Running max of each row in log2 units (the same in the 4 lanes of a quad), and this lane's part of the row sum:
    // the parts are rescaled alike, so they are added across the quad once, at the end.
    float m_lo = negative_infinity(), m_hi = m_lo, l_lo = 0.0f, l_hi = 0.0f;

    for (int key0 = 0; key0 < a.sk; key0 += MMA_KEY_TILE) {
        int keys = min(MMA_KEY_TILE, a.sk - key0);
        __syncthreads();                                   // every warp is done with the previous tile
        load_rows_zero_filled<MMA_KEY_TILE, D, STRIDE>(k_tile, k, b, h, a.sk, a.heads, key0, keys);
        load_rows_zero_filled<MMA_KEY_TILE, D, STRIDE>(v_tile, v, b, h, a.sk, a.heads, key0, keys);
        for (int e = threadIdx.x; e < keys; e += blockDim.x) mask_tile[e] = mask_log2(mask, (long long)b * a.sk + key0 + e);
        if (a.p > 0.0f)
            draw_dropout_tile<MMA_QUERY_ROWS, MMA_KEY_TILE, MMA_KEY_TILE>(keep, (unsigned char)1, a, bh, row0, key0,
                                                                           min(MMA_QUERY_ROWS, a.sq - row0), keys);
        __syncthreads();

        float s[KEY_STEPS][4];
        #pragma unroll
        for (int n = 0; n < KEY_STEPS; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
        mma_a_times_tile_transposed<Op, D, KEY_STEPS>(s, qa, k_tile, group, t);

        // z·log2 e = (scale·log2 e)·s + mask·log2 e (−∞ past the last key); the tile's row maxima over the quad.
        float max_lo = negative_infinity(), max_hi = max_lo;
        #pragma unroll
        for (int n = 0; n < KEY_STEPS; ++n) {
            #pragma unroll
            for (int e = 0; e < 2; ++e) {
                int j = 8 * n + 2 * t + e;
                bool valid = j < keys;
                s[n][e] = valid ? fmaf(s[n][e], scale_log2, mask_tile[j]) : negative_infinity();
                s[n][e + 2] = valid ? fmaf(s[n][e + 2], scale_log2, mask_tile[j]) : negative_infinity();
                max_lo = fmaxf(max_lo, s[n][e]);
                max_hi = fmaxf(max_hi, s[n][e + 2]);
            }
        }
        float new_lo = fmaxf(m_lo, quad_max(max_lo)), new_hi = fmaxf(m_hi, quad_max(max_hi));
        float rescale_lo = exp2_approx(m_lo - new_lo), rescale_hi = exp2_approx(m_hi - new_hi);   // 2^(−∞) = 0 on the first tile
        l_lo *= rescale_lo;
        l_hi *= rescale_hi;
        #pragma unroll
        for (int d = 0; d < D_STEPS; ++d) { o[d][0] *= rescale_lo; o[d][1] *= rescale_lo; o[d][2] *= rescale_hi; o[d][3] *= rescale_hi; }
        m_lo = new_lo;
        m_hi = new_hi;

        // e^(z − m') = 2^((z − m')·log2 e), into l; times the dropout factor, into O through P·V.
        #pragma unroll
        for (int n = 0; n < KEY_STEPS; ++n) {
            s[n][0] = exp2_approx(s[n][0] - m_lo);
            s[n][1] = exp2_approx(s[n][1] - m_lo);
            s[n][2] = exp2_approx(s[n][2] - m_hi);
            s[n][3] = exp2_approx(s[n][3] - m_hi);
            l_lo += s[n][0] + s[n][1];
            l_hi += s[n][2] + s[n][3];
            if (a.p > 0.0f) {
                #pragma unroll
                for (int e = 0; e < 4; ++e)
                    if (!keep[(e < 2 ? r_lo : r_hi) * MMA_KEY_TILE + 8 * n + 2 * t + e % 2]) s[n][e] = 0.0f; else s[n][e] *= a.keep_scale;
            }
        }
        mma_weights_times_tile<Op, D, KEY_STEPS>(o, s, v_tile, group, t);
    }

    l_lo = quad_sum(l_lo);
    l_hi = quad_sum(l_hi);
    store_rows<D>(out, o, 1.0f / l_lo, 1.0f / l_hi, b, h, a.sq, a.heads, i_lo, i_hi, t);
    if (t == 0 && i_lo < a.sq) lse[(long long)bh * a.sq + i_lo] = fmaf(m_lo, LN2, logf(l_lo));   // m is in log2 units
    if (t == 0 && i_hi < a.sq) lse[(long long)bh * a.sq + i_hi] = fmaf(m_hi, LN2, logf(l_hi));
}

// Backward, dQ pass: the forward's map (a warp per 16 query rows, tiles of 64 keys). Per tile S = Q·Kᵀ and
// dP = dO·Vᵀ (Q and dO in registers as A fragments, K and V read as the forward reads K), then in accumulator
// layout P = e^(z − lse) and dS = P·(m·dP − D), and dQ += dS·K with dS as A fragments (the P·V reorder; K read
// as the forward reads V). Writes D_i = dO_i·O_i to delta for the dK/dV pass.
template <typename Op, int D>
__device__ __forceinline__ void attention_backward_dq(const float* q, const float* k, const float* v, const float* mask,
                                                           const float* out, const float* dout, const float* lse,
                                                           float* delta, float* dq, Attention a)
{
    constexpr int STRIDE = D + Op::PAD;
    constexpr int KEY_STEPS = MMA_KEY_TILE / 8;
    __shared__ __align__(16) float k_tile[MMA_KEY_TILE * STRIDE];
    __shared__ __align__(16) float v_tile[MMA_KEY_TILE * STRIDE];
    __shared__ unsigned char keep[MMA_QUERY_ROWS * MMA_KEY_TILE];
    __shared__ float mask_tile[MMA_KEY_TILE];
    __shared__ float lse_rows[MMA_QUERY_ROWS], delta_rows[MMA_QUERY_ROWS];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    int row0 = blockIdx.x * MMA_QUERY_ROWS;
    int r_lo = 16 * warp + group, r_hi = r_lo + 8;
    int i_lo = row0 + r_lo, i_hi = row0 + r_hi;

    stage_delta_and_lse<D, MMA_QUERY_ROWS>(out, dout, lse, delta, a, b, h, bh, row0, delta_rows, lse_rows);
    float scale_log2 = a.scale * LOG2E;
    unsigned qa[D / Op::K][4], da[D / Op::K][4];
    load_a_fragments<Op, D>(qa, q, b, h, a.sq, a.heads, i_lo, i_hi, t);
    load_a_fragments<Op, D>(da, dout, b, h, a.sq, a.heads, i_lo, i_hi, t);
    float dqa[D / 8][4];
    #pragma unroll
    for (int d = 0; d < D / 8; ++d) dqa[d][0] = dqa[d][1] = dqa[d][2] = dqa[d][3] = 0.0f;

    for (int key0 = 0; key0 < a.sk; key0 += MMA_KEY_TILE) {
        int keys = min(MMA_KEY_TILE, a.sk - key0);
        __syncthreads();                                   // every warp is done with the previous tile (and lse_rows is written)
        load_rows_zero_filled<MMA_KEY_TILE, D, STRIDE>(k_tile, k, b, h, a.sk, a.heads, key0, keys);
        load_rows_zero_filled<MMA_KEY_TILE, D, STRIDE>(v_tile, v, b, h, a.sk, a.heads, key0, keys);
        for (int e = threadIdx.x; e < keys; e += blockDim.x) mask_tile[e] = mask_log2(mask, (long long)b * a.sk + key0 + e);
        if (a.p > 0.0f)
            draw_dropout_tile<MMA_QUERY_ROWS, MMA_KEY_TILE, MMA_KEY_TILE>(keep, (unsigned char)1, a, bh, row0, key0,
                                                                           min(MMA_QUERY_ROWS, a.sq - row0), keys);
        __syncthreads();

        float s[KEY_STEPS][4], dp[KEY_STEPS][4];
        #pragma unroll
        for (int n = 0; n < KEY_STEPS; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = dp[n][0] = dp[n][1] = dp[n][2] = dp[n][3] = 0.0f;
        mma_a_times_tile_transposed<Op, D, KEY_STEPS>(s, qa, k_tile, group, t);
        mma_a_times_tile_transposed<Op, D, KEY_STEPS>(dp, da, v_tile, group, t);
        // s becomes dS in place: element e of n-tile n is row e < 2 ? r_lo : r_hi, key 8n + 2t + e % 2.
        #pragma unroll
        for (int n = 0; n < KEY_STEPS; ++n) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                int r = e < 2 ? r_lo : r_hi, j = 8 * n + 2 * t + e % 2;
                float p_ij = j < keys ? exp2_approx(fmaf(s[n][e], scale_log2, mask_tile[j]) - lse_rows[r]) : 0.0f;
                float dp_ij = a.p > 0.0f ? (keep[r * MMA_KEY_TILE + j] ? dp[n][e] * a.keep_scale : 0.0f) : dp[n][e];
                s[n][e] = p_ij * (dp_ij - delta_rows[r]);
            }
        }
        mma_weights_times_tile<Op, D, KEY_STEPS>(dqa, s, k_tile, group, t);
    }
    store_rows<D>(dq, dqa, a.scale, a.scale, b, h, a.sq, a.heads, i_lo, i_hi, t);
}

// Backward, dK/dV pass: a warp per 16 key rows (64 per block), tiles of 32 queries. The products transposed:
// Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ (K and V in registers as A fragments), then in accumulator layout (row = key j,
// column = query i) Pᵀ = e^(z − lse_i), the dV weights m·Pᵀ and dSᵀ = Pᵀ·(m·dPᵀ − D_i), and dV += (m·Pᵀ)·dO,
// dK += dSᵀ·Q with the weights as A fragments (the P·V reorder over queries). 32 queries, not 64: the warp
// already holds K, V, dK and dV (4 × D/8 × 4 registers); two 64-query tiles would add 64 more.
#define MMA_QUERY_TILE 32
template <typename Op, int D>
__device__ __forceinline__ void attention_backward_dkdv(const float* q, const float* k, const float* v, const float* mask,
                                                             const float* dout, const float* lse, const float* delta,
                                                             float* dk, float* dv, Attention a)
{
    constexpr int STRIDE = D + Op::PAD;
    constexpr int QUERY_STEPS = MMA_QUERY_TILE / 8;
    __shared__ __align__(16) float q_tile[MMA_QUERY_TILE * STRIDE];
    __shared__ __align__(16) float dout_tile[MMA_QUERY_TILE * STRIDE];
    __shared__ unsigned char keep[MMA_QUERY_TILE * MMA_QUERY_ROWS];   // [query][key of the block]
    __shared__ float lse_tile[MMA_QUERY_TILE], delta_tile[MMA_QUERY_TILE];
    int bh = blockIdx.y, b = bh / a.heads, h = bh % a.heads;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    int key0 = blockIdx.x * MMA_QUERY_ROWS, keys = min(MMA_QUERY_ROWS, a.sk - key0);
    int r_lo = 16 * warp + group, r_hi = r_lo + 8;      // this lane's two keys in the block
    int j_lo = key0 + r_lo, j_hi = key0 + r_hi;

    unsigned ka[D / Op::K][4], va[D / Op::K][4];
    load_a_fragments<Op, D>(ka, k, b, h, a.sk, a.heads, j_lo, j_hi, t);
    load_a_fragments<Op, D>(va, v, b, h, a.sk, a.heads, j_lo, j_hi, t);
    float scale_log2 = a.scale * LOG2E;
    float mask_lo = j_lo < a.sk ? mask_log2(mask, (long long)b * a.sk + j_lo) : 0.0f;   // log2 units
    float mask_hi = j_hi < a.sk ? mask_log2(mask, (long long)b * a.sk + j_hi) : 0.0f;
    float dka[D / 8][4], dva[D / 8][4];
    #pragma unroll
    for (int d = 0; d < D / 8; ++d) dka[d][0] = dka[d][1] = dka[d][2] = dka[d][3] = dva[d][0] = dva[d][1] = dva[d][2] = dva[d][3] = 0.0f;

    for (int q0 = 0; q0 < a.sq; q0 += MMA_QUERY_TILE) {
        int rows = min(MMA_QUERY_TILE, a.sq - q0);
        __syncthreads();
        load_rows_zero_filled<MMA_QUERY_TILE, D, STRIDE>(q_tile, q, b, h, a.sq, a.heads, q0, rows);
        load_rows_zero_filled<MMA_QUERY_TILE, D, STRIDE>(dout_tile, dout, b, h, a.sq, a.heads, q0, rows);
        for (int e = threadIdx.x; e < rows; e += blockDim.x) {
            lse_tile[e] = lse[(long long)bh * a.sq + q0 + e] * LOG2E;
            delta_tile[e] = delta[(long long)bh * a.sq + q0 + e];
        }
        if (a.p > 0.0f)
            draw_dropout_tile<MMA_QUERY_TILE, MMA_QUERY_ROWS, MMA_QUERY_ROWS>(keep, (unsigned char)1, a, bh, q0, key0, rows, keys);
        __syncthreads();

        float s[QUERY_STEPS][4], dp[QUERY_STEPS][4];
        #pragma unroll
        for (int n = 0; n < QUERY_STEPS; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = dp[n][0] = dp[n][1] = dp[n][2] = dp[n][3] = 0.0f;
        mma_a_times_tile_transposed<Op, D, QUERY_STEPS>(s, ka, q_tile, group, t);
        mma_a_times_tile_transposed<Op, D, QUERY_STEPS>(dp, va, dout_tile, group, t);
        // s becomes the dV weights m·Pᵀ and dp becomes dSᵀ, in place: element e of n-tile n is key e < 2 ? r_lo : r_hi,
        // query 8n + 2t + e % 2 of the tile.
        #pragma unroll
        for (int n = 0; n < QUERY_STEPS; ++n) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                int r = e < 2 ? r_lo : r_hi, i = 8 * n + 2 * t + e % 2;
                float p_ij = i < rows ? exp2_approx(fmaf(s[n][e], scale_log2, e < 2 ? mask_lo : mask_hi) - lse_tile[i]) : 0.0f;
                float factor = a.p > 0.0f ? (keep[i * MMA_QUERY_ROWS + r] ? a.keep_scale : 0.0f) : 1.0f;
                s[n][e] = p_ij * factor;
                dp[n][e] = i < rows ? p_ij * (dp[n][e] * factor - delta_tile[i]) : 0.0f;
            }
        }
        mma_weights_times_tile<Op, D, QUERY_STEPS>(dva, s, dout_tile, group, t);
        mma_weights_times_tile<Op, D, QUERY_STEPS>(dka, dp, q_tile, group, t);
    }
    store_rows<D>(dk, dka, a.scale, a.scale, b, h, a.sk, a.heads, j_lo, j_hi, t);
    store_rows<D>(dv, dva, 1.0f, 1.0f, b, h, a.sk, a.heads, j_lo, j_hi, t);
}

// One instance per head size and operand type (parameters: flash_attention.cuh).
#define FLASH_ATTENTION_MMA_KERNELS(D, OP, SUFFIX)                                                                                              \
extern "C" __global__ void __launch_bounds__(MMA_THREADS, 1) flash_attention_forward_d##D##_##SUFFIX(                                     \
    const float* q, const float* k, const float* v, const float* mask, float* out, float* lse, ATTENTION_PARAMETERS)                \
{ attention_forward<OP, D>(q, k, v, mask, out, lse, ATTENTION_ARGUMENTS); }                                                        \
extern "C" __global__ void __launch_bounds__(MMA_THREADS, 1) flash_attention_backward_dq_d##D##_##SUFFIX(                                 \
    const float* q, const float* k, const float* v, const float* mask, const float* out, const float* dout, const float* lse,        \
    float* delta, float* dq, ATTENTION_PARAMETERS)                                                                                  \
{ attention_backward_dq<OP, D>(q, k, v, mask, out, dout, lse, delta, dq, ATTENTION_ARGUMENTS); }                                   \
extern "C" __global__ void __launch_bounds__(MMA_THREADS, 1) flash_attention_backward_dkdv_d##D##_##SUFFIX(                               \
    const float* q, const float* k, const float* v, const float* mask, const float* dout, const float* lse, const float* delta,      \
    float* dk, float* dv, ATTENTION_PARAMETERS)                                                                                     \
{ attention_backward_dkdv<OP, D>(q, k, v, mask, dout, lse, delta, dk, dv, ATTENTION_ARGUMENTS); }

FLASH_ATTENTION_MMA_KERNELS(32, Tf32, tf32)
FLASH_ATTENTION_MMA_KERNELS(64, Tf32, tf32)
FLASH_ATTENTION_MMA_KERNELS(32, Bf16, bf16)
FLASH_ATTENTION_MMA_KERNELS(64, Bf16, bf16)
