// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmKernelTests.cs, Tests/CudaBert.Tests/BertKernels/GemmGeluDerivativeEpilogueTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs, Course/CourseBenchmark.cs

// Register-tiled SIMT GEMM (fp32 FMA, no tensor cores), batched, with transpose flags and fused
// epilogues. For each batch b (blockIdx.z):
//
//   C_b = alpha · op(A_b) · op(B_b) + beta · C_b   [+ bias]   [then GELU]
//   or  C_b = alpha · op(A_b) · op(B_b) ⊙ GELU′(aux_b)            (beta = 0)
//
// row-major, op(A) is M×K, op(B) is K×N, C is M×N. A not transposed: element (m, k) at A[m·lda + k];
// transposed (A stored K×M): at A[k·lda + m]. Likewise B: (k, n) at B[k·ldb + n], or B[n·ldb + k]
// when transposed. Batch b starts at A + b·stride_a (stride 0 shares one matrix across the batch).
// beta = 0 means C is not read (it may hold garbage). epilogue: 0 none, 1 + bias[n], 2 + bias then
// GELU(erf), 3 times GELU′(aux[m, n]) with aux laid out like C (gemm_epilogue.cuh). Any M, N, K
// (edges are guarded and padded with zeros in shared memory).
//
// Tiling. A block of 256 threads computes a 128×128 tile of C. K is walked BK = 8 at a time: the
// block stages a 128×8 slice of op(A) and an 8×128 slice of op(B) in shared memory, both stored
// k-major (As[k][m], Bs[k][n]) so that the inner loop reads rows of 4 consecutive floats (float4).
// Thread-to-data mapping in the inner product: thread t = (ty, tx) = (t / 16, t % 16) owns an 8×8
// sub-tile of C: rows {ty·4 .. ty·4+3} ∪ {64 + ty·4 .. 64 + ty·4+3} and the same pattern of
// columns with tx. For each k it loads 8 values of A and 8 of B from shared memory into registers
// and does 64 FMAs: the register tile is what lifts the arithmetic intensity above shared memory
// bandwidth. Splitting the rows into two groups 64 apart keeps the float4 reads of a warp in
// distinct banks.
// Loading a slice (4 floats per thread per operand): threads are laid out so that consecutive
// threads read consecutive addresses of the operand as it is stored (coalesced): along k for a
// non-transposed A (rows of 8 floats), along m for a transposed A, and likewise for B. The
// shared arrays have 4 floats of padding per row so the k-fastest stores do not collide in banks.
// Double buffering: the next slice is loaded from global memory into registers while the current
// one is multiplied, then stored to shared memory (one barrier pair per slice).

#define BM 128
#define BN 128
#define BK 8
#define PAD 4
#define THREADS 256

#include "gemm_epilogue.cuh"

// Loads this thread's 4 elements of the op(A) slice [m0, m0 + BM) × [k0, k0 + BK) (zeros outside).
__device__ __forceinline__ void load_a(const float* A, int lda, bool trans, int M, int K, int m0, int k0, float (&r)[4])
{
    int t = threadIdx.x;
    #pragma unroll
    for (int i = 0; i < 4; ++i) {
        int m, k;
        if (!trans) { m = m0 + t / BK + i * (THREADS / BK); k = k0 + t % BK; }   // 8 threads read one row's 8 k's
        else        { m = m0 + t % BM; k = k0 + t / BM + i * (THREADS / BM); }   // 128 threads read one k-row
        r[i] = (m < M && k < K) ? (trans ? A[(long long)k * lda + m] : A[(long long)m * lda + k]) : 0.0f;
    }
}

__device__ __forceinline__ void store_a(float (*As)[BM + PAD], bool trans, const float (&r)[4])
{
    int t = threadIdx.x;
    #pragma unroll
    for (int i = 0; i < 4; ++i) {
        if (!trans) As[t % BK][t / BK + i * (THREADS / BK)] = r[i];
        else        As[t / BM + i * (THREADS / BM)][t % BM] = r[i];
    }
}

// Loads this thread's 4 elements of the op(B) slice [k0, k0 + BK) × [n0, n0 + BN) (zeros outside).
__device__ __forceinline__ void load_b(const float* B, int ldb, bool trans, int K, int N, int k0, int n0, float (&r)[4])
{
    int t = threadIdx.x;
    #pragma unroll
    for (int i = 0; i < 4; ++i) {
        int k, n;
        if (!trans) { n = n0 + t % BN; k = k0 + t / BN + i * (THREADS / BN); }
        else        { n = n0 + t / BK + i * (THREADS / BK); k = k0 + t % BK; }
        r[i] = (k < K && n < N) ? (trans ? B[(long long)n * ldb + k] : B[(long long)k * ldb + n]) : 0.0f;
    }
}

__device__ __forceinline__ void store_b(float (*Bs)[BN + PAD], bool trans, const float (&r)[4])
{
    int t = threadIdx.x;
    #pragma unroll
    for (int i = 0; i < 4; ++i) {
        if (!trans) Bs[t / BN + i * (THREADS / BN)][t % BN] = r[i];
        else        Bs[t % BK][t / BK + i * (THREADS / BK)] = r[i];
    }
}

extern "C" __global__ void __launch_bounds__(THREADS)
gemm_simt_f32(int trans_a, int trans_b, int M, int N, int K, float alpha,
              const float* A, int lda, long long stride_a,
              const float* B, int ldb, long long stride_b,
              float beta, float* C, int ldc, long long stride_c,
              const float* bias, const float* aux, int epilogue)
{
    __shared__ __align__(16) float As[BK][BM + PAD];
    __shared__ __align__(16) float Bs[BK][BN + PAD];
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    A += blockIdx.z * stride_a;
    B += blockIdx.z * stride_b;
    C += blockIdx.z * stride_c;
    aux += blockIdx.z * stride_c;
    int ty = threadIdx.x / 16, tx = threadIdx.x % 16;

    float acc[8][8];
    #pragma unroll
    for (int i = 0; i < 8; ++i)
        #pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

    float ra[4], rb[4];
    load_a(A, lda, trans_a, M, K, m0, 0, ra);
    load_b(B, ldb, trans_b, K, N, 0, n0, rb);
    for (int k0 = 0; k0 < K; k0 += BK) {
        store_a(As, trans_a, ra);
        store_b(Bs, trans_b, rb);
        __syncthreads();
        if (k0 + BK < K) {                        // prefetch the next slice while computing this one
            load_a(A, lda, trans_a, M, K, m0, k0 + BK, ra);
            load_b(B, ldb, trans_b, K, N, k0 + BK, n0, rb);
        }
        #pragma unroll
        for (int k = 0; k < BK; ++k) {
            float4 a_lo = *reinterpret_cast<const float4*>(&As[k][ty * 4]);
            float4 a_hi = *reinterpret_cast<const float4*>(&As[k][64 + ty * 4]);
            float4 b_lo = *reinterpret_cast<const float4*>(&Bs[k][tx * 4]);
            float4 b_hi = *reinterpret_cast<const float4*>(&Bs[k][64 + tx * 4]);
            float a[8] = { a_lo.x, a_lo.y, a_lo.z, a_lo.w, a_hi.x, a_hi.y, a_hi.z, a_hi.w };
            float b[8] = { b_lo.x, b_lo.y, b_lo.z, b_lo.w, b_hi.x, b_hi.y, b_hi.z, b_hi.w };
            #pragma unroll
            for (int i = 0; i < 8; ++i)
                #pragma unroll
                for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();                          // everyone is done reading before the next store
    }

    #pragma unroll
    for (int i = 0; i < 8; ++i) {
        int m = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (m >= M) continue;
        #pragma unroll
        for (int j = 0; j < 8; ++j) {
            int n = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
            if (n >= N) continue;
            long long at = (long long)m * ldc + n;
            float v = alpha * acc[i][j];
            if (beta != 0.0f) v = fmaf(beta, C[at], v);
            C[at] = gemm_epilogue(v, epilogue, bias, n, aux + at);
        }
    }
}
