// CPU twin: none (the test computes the reference)
// Tests: Tests/CudaBert.Tests/CudaDevice/MmaBf16GemmTests.cs
// Benchmark: none (a device feature test, not timed)

// Tensor-core GEMM in BF16 with FP32 accumulation: C = A * B^T with A (M x K) and B (N x K)
// row-major bfloat16 (passed as raw 16-bit patterns), C (M x N) row-major float.
// M must be a multiple of 16, N of 8, K of 16.
//
// One warp computes one 16 x 8 tile of C with
//   mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32   (D = A_tile * B_tile + C, 16x8x16)
// looping over K in steps of 16. Per step the warp copies the 16 x 16 slice of A and the 8 x 16
// slice of B (rows n, columns k) to shared memory, and `ldmatrix` hands every lane its fragment.
//
// Fragments (PTX ISA, "Matrix fragments for mma.m16n8k16" with .bf16), lane = 4 * group + t; each
// 32-bit register holds two bf16, the lower-numbered column in the low half:
//   A (16 x 16): a0 = A[group][2t, 2t+1],     a1 = A[group + 8][2t, 2t+1],
//                a2 = A[group][2t+8, 2t+9],   a3 = A[group + 8][2t+8, 2t+9]
//   B (16 x 8, k x n): b0 = B[k = 2t, 2t+1][n = group], b1 = B[k = 2t+8, 2t+9][n = group]
//   C (16 x 8): c0, c1 = C[group][2t, 2t + 1], c2, c3 = C[group + 8][2t, 2t + 1]
//
// ldmatrix (8 x 8 matrices of 16-bit elements): lane l receives row l / 4, columns 2 (l % 4) and
// 2 (l % 4) + 1 -- exactly the fragment layout. Lanes 8j .. 8j+7 give the row addresses of matrix j.
// A (.x4): matrix 0 = rows 0-7, cols 0-7 (-> a0); 1 = rows 8-15, cols 0-7 (-> a1); 2 = rows 0-7,
// cols 8-15 (-> a2); 3 = rows 8-15, cols 8-15 (-> a3). B stored n-major (Bs[n][k], .x2):
// matrix 0 = k 0-7 (-> b0), matrix 1 = k 8-15 (-> b1).

__device__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

extern "C" __global__ void mma_bf16_gemm(int M, int N, int K, const unsigned short* A, const unsigned short* B,
                                         float* C)
{
    __shared__ __align__(16) unsigned short As[16][16];
    __shared__ __align__(16) unsigned short Bs[8][16];
    int lane = threadIdx.x;                     // one warp per block: blockDim.x == 32
    int group = lane / 4, t = lane % 4;
    int tile_row = blockIdx.y * 16, tile_col = blockIdx.x * 8;

    float c[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int k0 = 0; k0 < K; k0 += 16) {
        // Stage: 256 values of A (8 per lane) and 128 of B (4 per lane).
        for (int e = lane; e < 16 * 16; e += 32)
            As[e / 16][e % 16] = A[(tile_row + e / 16) * K + k0 + e % 16];
        for (int e = lane; e < 8 * 16; e += 32)
            Bs[e / 16][e % 16] = B[(tile_col + e / 16) * K + k0 + e % 16];
        __syncwarp();

        unsigned a[4], b[2];
        int j = lane / 8, r = lane % 8;         // this lane gives row r of matrix j
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                     : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3])
                     : "r"(shared_address(&As[(j % 2) * 8 + r][(j / 2) * 8])));
        asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];"
                     : "=r"(b[0]), "=r"(b[1])
                     : "r"(shared_address(&Bs[r][(j % 2) * 8])));   // lanes 16-31: addresses ignored

        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
        __syncwarp();                           // all fragments read before the next staging
    }
    C[(tile_row + group) * N + tile_col + 2 * t] = c[0];
    C[(tile_row + group) * N + tile_col + 2 * t + 1] = c[1];
    C[(tile_row + group + 8) * N + tile_col + 2 * t] = c[2];
    C[(tile_row + group + 8) * N + tile_col + 2 * t + 1] = c[3];
}
