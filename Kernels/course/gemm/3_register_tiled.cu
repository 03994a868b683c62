// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/Course/GemmCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// GEMM, step 3 of the course: register tiling (SIMT, no tensor cores).
//
//   C = alpha · A · B + beta · C,  all row-major float: A is M×K, B is K×N, C is M×N. Any sizes.
//
// What changed from step 2 (2_shared_tiled.cu): each thread computes a TM×TN = 4×4 block of C
// instead of one element. Per k it loads 4 values of A and 4 of B from shared memory into registers
// and does 16 FMAs with them: 8 shared loads per 16 FMAs instead of 2 per 1, so the FMA units, not
// shared memory, become the limit. The block tile grows to BM×BN = 64×64 (256 threads × 16 outputs),
// which cuts global traffic per FMA by 4 again (each staged element feeds 64 rows or columns, not 16).
//
// Thread-to-data mapping: block (bx, by) owns C rows [64·by, 64·by + 64) and columns [64·bx, 64·bx + 64).
// Thread (tx, ty) = (threadIdx.x, threadIdx.y), 16×16 of them, owns the 16 elements
//   C[64·by + ty + 16·i][64·bx + tx + 16·j]   for i, j = 0..3
// (strided by 16, not a contiguous 4×4 block: a warp's 32 threads then read 2 distinct A values
// (broadcast) and 16 consecutive B values per step — no shared-memory bank conflicts — and write
// coalesced rows of C).
// Staging, per slice of BK = 8 along K: the 64×8 slice of A and the 8×64 slice of B, two elements of
// each per thread, zeros outside the matrices. A is stored k-major (As[k][m]) so that the inner loop
// reads a row of As, like Bs.
//
// What still limits it: the block waits at a barrier while each slice is loaded (no overlap of
// loads and math), and an FMA does one multiply-add per lane. The backend's SIMT kernel
// (Kernels/bert/gemm_simt.cu) adds 8×8 register tiles, float4 shared loads and double buffering;
// step 4 moves the multiply-adds to tensor cores.

#define BM 64
#define BN 64
#define BK 8
#define TM 4
#define TN 4
#define THREADS_X 16   // blockDim = (16, 16): BN / TN by BM / TM
#define THREADS 256

extern "C" __global__ void __launch_bounds__(THREADS)
gemm_register_tiled(int M, int N, int K, float alpha, const float* A, const float* B, float beta, float* C)
{
    __shared__ float As[BK][BM];
    __shared__ float Bs[BK][BN];
    int tx = threadIdx.x, ty = threadIdx.y, t = ty * THREADS_X + tx;
    int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;

    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        // Consecutive threads read consecutive k of a row of A, consecutive columns of a row of B.
#pragma unroll
        for (int q = 0; q < BM * BK / THREADS; ++q) {
            int e = t + q * THREADS, m = e / BK, k = e % BK;
            As[k][m] = (row0 + m < M && k0 + k < K) ? A[(row0 + m) * K + k0 + k] : 0.0f;
        }
#pragma unroll
        for (int q = 0; q < BK * BN / THREADS; ++q) {
            int e = t + q * THREADS, k = e / BN, n = e % BN;
            Bs[k][n] = (k0 + k < K && col0 + n < N) ? B[(k0 + k) * N + col0 + n] : 0.0f;
        }
        __syncthreads();

#pragma unroll
        for (int k = 0; k < BK; ++k) {
            float a[TM], b[TN];
#pragma unroll
            for (int i = 0; i < TM; ++i) a[i] = As[k][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < TN; ++j) b[j] = Bs[k][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();   // everyone is done with this slice before the next one overwrites it
    }

#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            int row = row0 + ty + 16 * i, col = col0 + tx + 16 * j;
            if (row < M && col < N)
                C[row * N + col] = alpha * acc[i][j] + beta * C[row * N + col];
        }
}
