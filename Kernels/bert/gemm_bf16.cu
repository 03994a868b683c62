// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmBf16KernelTests.cs, Tests/CudaBert.Tests/CudaBackend/MatrixPrimitiveTests.cs, Tests/CudaBert.Tests/BertKernels/GemmGeluDerivativeEpilogueTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Tensor-core GEMM with bfloat16 operands and float32 accumulation, batched, with transpose flags.
// For each batch b (blockIdx.z):
//
//   C_b = alpha · op(A_b) · op(B_b) + beta · C_b   [+ bias]   [then GELU]     (beta = 0 does not read C)
//   or  C_b = alpha · op(A_b) · op(B_b) ⊙ GELU′(aux_b)                         (beta = 0)
//
// A and B hold bfloat16 values as raw bits (unsigned short); C is float32, or bfloat16 when c_bf16
// is set (the float32 result rounded to nearest even once, after the epilogue). bias (N) and aux
// (laid out like C: ldc, stride_c) are float32; the epilogues are gemm_simt.cu's (gemm_epilogue.cuh).
// Operand conventions as gemm_simt.cu: row-major; A (m, k) at A[m·lda + k], or A[k·lda + m] when
// transposed; B (k, n) at B[k·ldb + n], or B[n·ldb + k] when transposed. The layouts BERT uses: X·Wᵀ (nt), dY·W (nn),
// dYᵀ·X (tn), and strided batches for attention. No alignment is required of A, B or C. The CPU twin
// widens the bfloat16 operands to float32 (exactly) and runs the fp32 GEMM.
//
// The instruction: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32, a warp-wide 16×8×16 product
// (PTX ISA 7.0, sm_80). The products of bfloat16 values are exact in float32; they are summed in
// float32. Fragment layout (PTX ISA, "Matrix fragments for mma.m16n8k16", .bf16), lane = 4·group + t;
// each 32-bit register packs two bfloat16, the lower k in the low half:
//   A 16×16 (m×k): a0 = A[group][2t, 2t+1],     a1 = A[group + 8][2t, 2t+1],
//                  a2 = A[group][2t+8, 2t+9],   a3 = A[group + 8][2t+8, 2t+9]
//   B 16×8  (k×n): b0 = B[2t, 2t+1][group],     b1 = B[2t+8, 2t+9][group]
//   C 16×8:        c0, c1 = C[group][2t, 2t + 1],  c2, c3 = C[group + 8][2t, 2t + 1]
// Both A and B fragments are pairs of neighbours along k, so both tiles are kept k-major in shared
// memory (As[m][k], Bs[n][k]): every fragment register is one aligned 32-bit shared-memory read.
//
// Tiles: 64×64 of C per block, 128 threads = 4 warps in 2 (m) × 2 (n), each warp 32×32 of C, i.e.
// 2 × 4 mma tiles of 16×8 (32 accumulators per thread). K is walked BK = 32 at a time (2 mma k-steps).
// Shared memory (static): one 64 × (BK + 8) tile of each operand, 2 × 5,120 B. The row stride of
// 40 halves (20 words) puts the 8 rows a fragment read touches (group = 0..7, words 20·group + t) on 8
// different groups of 4 banks: no bank conflicts.
// Pipeline: the next slice is loaded from global memory into registers while the warps multiply the
// current one from shared memory; then everyone stores it (two barriers per slice).
// Loads: 16-byte chunks along each operand's contiguous axis (SliceLoader), so a warp reads whole
// 128-byte segments where the rows allow it. Elements outside the matrix (edge tiles, the K tail) are
// zeros, which add nothing to the sums.

#define TILE 64
#define BK 32
#define THREADS 128
#define SMEM_STRIDE (BK + 8)                      // halves per shared-memory row
#define CHUNKS (TILE * BK / 8 / THREADS)          // 16-byte chunks of each operand per thread per slice: 2

#include "gemm_epilogue.cuh"

__device__ __forceinline__ unsigned short float_to_bf16_bits(float x)
{
    unsigned short bits;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(bits) : "f"(x));
    return bits;
}

__device__ __forceinline__ float bf16_bits_to_float(unsigned short bits) { return __uint_as_float((unsigned)bits << 16); }

// One operand's slice of TILE rows (m or n) × BK (k), read from global memory in chunks of 8
// elements (16 bytes) that are consecutive there, and written k-major to shared memory. A thread
// handles CHUNKS chunks, ids threadIdx.x + THREADS·i of the tile's TILE · BK / 8 = 256:
//   k-major operand (k contiguous):   chunk c = row c / 4, k 8·(c % 4) .. +7    (4 chunks per row of BK)
//   m/n-major operand (m/n contiguous): chunk c = k c / 8, rows 8·(c % 8) .. +7 (8 chunks per k of TILE)
// A chunk wholly inside the matrix whose address is 16-byte aligned is one vector load (the common
// case: BERT's leading dimensions are multiples of 8); otherwise its elements are read one by one,
// zeros outside the matrix.
template <bool K_MAJOR>
struct SliceLoader {
    const unsigned short* X;
    int ld, extent, K, outer0;

    __device__ __forceinline__ static int row_of(int c) { return K_MAJOR ? c / (BK / 8) : 8 * (c % (TILE / 8)); }
    __device__ __forceinline__ static int k_of(int c) { return K_MAJOR ? 8 * (c % (BK / 8)) : c / (TILE / 8); }

    __device__ __forceinline__ void load(int k0, uint4 (&v)[CHUNKS]) const
    {
        #pragma unroll
        for (int i = 0; i < CHUNKS; ++i) {
            int c = threadIdx.x + THREADS * i;
            int row = outer0 + row_of(c), k = k0 + k_of(c);
            const unsigned short* p = X + (K_MAJOR ? (long long)row * ld + k : (long long)k * ld + row);
            bool inside = K_MAJOR ? row < extent && k + 8 <= K : k < K && row + 8 <= extent;
            if (inside && ((unsigned long long)p & 15) == 0) {
                v[i] = *(const uint4*)p;
                continue;
            }
            unsigned short e[8];
            #pragma unroll
            for (int j = 0; j < 8; ++j) {
                bool valid = K_MAJOR ? row < extent && k + j < K : k < K && row + j < extent;
                e[j] = valid ? p[j] : (unsigned short)0;
            }
            v[i] = make_uint4(e[0] | (unsigned)e[1] << 16, e[2] | (unsigned)e[3] << 16, e[4] | (unsigned)e[5] << 16, e[6] | (unsigned)e[7] << 16);
        }
    }

    // k-major: the chunk is 8 consecutive k of one row, one 16-byte store (rows are 80 bytes apart).
    // m/n-major: the chunk is one k of 8 rows, transposed into 8 two-byte stores.
    __device__ __forceinline__ static void store(const uint4 (&v)[CHUNKS], unsigned short* tile)
    {
        #pragma unroll
        for (int i = 0; i < CHUNKS; ++i) {
            int c = threadIdx.x + THREADS * i;
            unsigned short* q = tile + row_of(c) * SMEM_STRIDE + k_of(c);
            if (K_MAJOR) {
                *(uint4*)q = v[i];
            } else {
                unsigned words[4] = {v[i].x, v[i].y, v[i].z, v[i].w};
                #pragma unroll
                for (int j = 0; j < 8; ++j) q[j * SMEM_STRIDE] = (unsigned short)(words[j / 2] >> (16 * (j % 2)));
            }
        }
    }
};

__device__ __forceinline__ unsigned pair_at(const unsigned short* tile, int row, int k)
{
    return *(const unsigned*)(tile + row * SMEM_STRIDE + k);
}

template <bool TRANS_A, bool TRANS_B>
__device__ __forceinline__ void gemm_bf16(int M, int N, int K, float alpha,
                                          const unsigned short* A, int lda, long long stride_a,
                                          const unsigned short* B, int ldb, long long stride_b,
                                          float beta, void* C, int ldc, long long stride_c, int c_bf16,
                                          const float* bias, const float* aux, int epilogue)
{
    constexpr int MI = 2, NI = 4;                  // mma tiles per warp along m and n
    __shared__ __align__(16) unsigned short As[TILE * SMEM_STRIDE];
    __shared__ __align__(16) unsigned short Bs[TILE * SMEM_STRIDE];

    int m0 = blockIdx.y * TILE, n0 = blockIdx.x * TILE;
    A += blockIdx.z * stride_a;
    B += blockIdx.z * stride_b;
    long long c_offset = blockIdx.z * stride_c;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int group = lane / 4, t = lane % 4;
    int warp_m = (warp / 2) * MI * 16, warp_n = (warp % 2) * NI * 8;

    float acc[MI][NI][4];
    #pragma unroll
    for (int i = 0; i < MI; ++i)
        #pragma unroll
        for (int j = 0; j < NI; ++j)
            #pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

    SliceLoader<!TRANS_A> load_a{A, lda, M, K, m0};
    SliceLoader<TRANS_B> load_b{B, ldb, N, K, n0};
    uint4 next_a[CHUNKS], next_b[CHUNKS];
    load_a.load(0, next_a);
    load_b.load(0, next_b);
    for (int k0 = 0; k0 < K; k0 += BK) {
        SliceLoader<!TRANS_A>::store(next_a, As);
        SliceLoader<TRANS_B>::store(next_b, Bs);
        __syncthreads();                           // the slice is in shared memory for every warp
        if (k0 + BK < K) {                         // the next slice's global reads overlap the mma below
            load_a.load(k0 + BK, next_a);
            load_b.load(k0 + BK, next_b);
        }
        #pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[MI][4], b[NI][2];
            #pragma unroll
            for (int mi = 0; mi < MI; ++mi) {
                int row = warp_m + mi * 16 + group;
                a[mi][0] = pair_at(As, row, kk + 2 * t);
                a[mi][1] = pair_at(As, row + 8, kk + 2 * t);
                a[mi][2] = pair_at(As, row, kk + 2 * t + 8);
                a[mi][3] = pair_at(As, row + 8, kk + 2 * t + 8);
            }
            #pragma unroll
            for (int ni = 0; ni < NI; ++ni) {
                int col = warp_n + ni * 8 + group;
                b[ni][0] = pair_at(Bs, col, kk + 2 * t);
                b[ni][1] = pair_at(Bs, col, kk + 2 * t + 8);
            }
            #pragma unroll
            for (int mi = 0; mi < MI; ++mi)
                #pragma unroll
                for (int ni = 0; ni < NI; ++ni)
                    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                                 : "+f"(acc[mi][ni][0]), "+f"(acc[mi][ni][1]), "+f"(acc[mi][ni][2]), "+f"(acc[mi][ni][3])
                                 : "r"(a[mi][0]), "r"(a[mi][1]), "r"(a[mi][2]), "r"(a[mi][3]), "r"(b[ni][0]), "r"(b[ni][1]));
        }
        __syncthreads();                           // nobody still reads the tiles the next iteration overwrites
    }

    // Epilogue: accumulator e of tile (mi, ni) is row group + 8·(e / 2), column 2t + e % 2 of that tile;
    // aux + at is aux's element at C's position (the same offset, c_offset included).
    #pragma unroll
    for (int mi = 0; mi < MI; ++mi)
        #pragma unroll
        for (int ni = 0; ni < NI; ++ni)
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                int m = m0 + warp_m + mi * 16 + group + 8 * (e / 2), n = n0 + warp_n + ni * 8 + 2 * t + e % 2;
                if (m >= M || n >= N) continue;
                long long at = c_offset + (long long)m * ldc + n;
                float x = alpha * acc[mi][ni][e];
                if (c_bf16) {
                    unsigned short* c = (unsigned short*)C + at;
                    if (beta != 0.0f) x = fmaf(beta, bf16_bits_to_float(*c), x);
                    *c = float_to_bf16_bits(gemm_epilogue(x, epilogue, bias, n, aux + at));
                } else {
                    float* c = (float*)C + at;
                    if (beta != 0.0f) x = fmaf(beta, *c, x);
                    *c = gemm_epilogue(x, epilogue, bias, n, aux + at);
                }
            }
}

// One entry point per transpose combination (the loaders' index order differs at compile time).
// Names: gemm_bf16_<A><B>, n = not transposed, t = transposed.
#define GEMM_BF16_ENTRY(NAME, TA, TB)                                                                        \
    extern "C" __global__ void __launch_bounds__(THREADS)                                                   \
    NAME(int M, int N, int K, float alpha, const unsigned short* A, int lda, long long stride_a,            \
         const unsigned short* B, int ldb, long long stride_b, float beta, void* C, int ldc,                \
         long long stride_c, int c_bf16, const float* bias, const float* aux, int epilogue)                 \
    {                                                                                                       \
        gemm_bf16<TA, TB>(M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, stride_c, c_bf16, \
                          bias, aux, epilogue);                                                             \
    }

GEMM_BF16_ENTRY(gemm_bf16_nn, false, false)
GEMM_BF16_ENTRY(gemm_bf16_nt, false, true)
GEMM_BF16_ENTRY(gemm_bf16_tn, true, false)
GEMM_BF16_ENTRY(gemm_bf16_tt, true, true)
