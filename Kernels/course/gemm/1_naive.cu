// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/Course/GemmCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// GEMM, step 1 of the course: one thread per element of C, everything from global memory.
//
//   C = alpha · A · B + beta · C,  all row-major float: A is M×K, B is K×N, C is M×N. Any sizes.
//
// Thread-to-data mapping: a 2D grid of 2D blocks covers C; thread (x, y) of the whole grid owns
//   C[row][col] with col = blockIdx.x · blockDim.x + threadIdx.x,  row = blockIdx.y · blockDim.y + threadIdx.y
// and walks k = 0 .. K-1, reading A[row][k] and B[k][col] from global memory for every multiply-add.
//
// Why it is slow: each multiply-add needs two loads (8 bytes) from global memory, so the arithmetic
// intensity is 2 FLOP / 8 B = 0.25 FLOP/B, while a GPU needs ~10-50 FLOP per byte of DRAM to keep its
// ALUs busy. A warp's loads are efficient (its 32 threads read the same A[row][k], a broadcast, and 32
// consecutive B[k][col], one coalesced access), and the caches catch some reuse, but they are small
// next to the matrices: much of A and B comes from L2 or DRAM again and again. Step 2 stages tiles in
// shared memory so that a block fetches each element once per tile instead.

extern "C" __global__ void gemm_naive(int M, int N, int K, float alpha, const float* A, const float* B,
                                      float beta, float* C)
{
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= M || col >= N) return;

    float acc = 0.0f;
    for (int k = 0; k < K; ++k)
        acc += A[row * K + k] * B[k * N + col];
    C[row * N + col] = alpha * acc + beta * C[row * N + col];
}
