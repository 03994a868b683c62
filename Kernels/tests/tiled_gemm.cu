// Tiled SIMT GEMM (no tensor cores): C = alpha * A * B + beta * C, all row-major float,
// A is M x K, B is K x N, C is M x N. Any sizes (edges are guarded).
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
