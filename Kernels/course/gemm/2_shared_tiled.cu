// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/Course/GemmCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// GEMM, step 2 of the course: tiles of A and B staged in shared memory (SIMT, no tensor cores).
//
//   C = alpha * A * B + beta * C, all row-major float, A is M x K, B is K x N, C is M x N. Any sizes
//   (edges are guarded).
//
// What changed from step 1 (1_naive.cu): the block cooperates. Its 16 x 16 threads load a 16 x 16
// tile of A and one of B into shared memory once, then each thread reads its 16 multiply-adds'
// operands from shared memory. Every global element is read once per tile by the block instead of
// once per thread that needs it: 16 times less global traffic, 16 FMAs per 2 global loads.
// What still limits it: each FMA now needs two shared-memory loads. The SM issues three instructions
// for one useful one, and shared memory delivers 128 bytes per cycle per SM where an H100 SM's 128
// FMA lanes could consume eight times that. Step 3 makes each thread compute several outputs from registers.
//
// Thread-to-data mapping: a block of TILE x TILE threads computes one TILE x TILE tile of C;
// thread (tx, ty) = (threadIdx.x, threadIdx.y) owns C[row][col] with
//   row = blockIdx.y * TILE + ty,  col = blockIdx.x * TILE + tx.
//
// The K dimension is walked one tile at a time. For each step the block stages a TILE x TILE tile
// of A and one of B in shared memory (each thread loads one element of each, zero outside the
// matrices), waits at a barrier, and every thread does TILE multiply-adds from shared memory.
// Each global element is thus read by the block once instead of TILE times.
// The second barrier keeps the next step's loads from overwriting tiles still being read.

#define TILE 16

extern "C" __global__ void tiled_gemm(int M, int N, int K, float alpha, const float* A, const float* B,
                                      float beta, float* C)
{
    __shared__ float As[TILE][TILE];
    __shared__ float Bs[TILE][TILE];
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * TILE + ty;
    int col = blockIdx.x * TILE + tx;

    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TILE) {
        As[ty][tx] = (row < M && k0 + tx < K) ? A[row * K + k0 + tx] : 0.0f;
        Bs[ty][tx] = (k0 + ty < K && col < N) ? B[(k0 + ty) * N + col] : 0.0f;
        __syncthreads();
        for (int k = 0; k < TILE; ++k)
            acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < M && col < N)
        C[row * N + col] = alpha * acc + beta * C[row * N + col];
}
