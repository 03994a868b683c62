// Tensor-core GEMM in TF32: C = A * B^T with A (M x K) and B (N x K) row-major float, C (M x N)
// row-major float. (B^T is the layout of a linear layer: y = x W^T with W stored [out, in].)
// M must be a multiple of 16, N of 8, K of 8.
//
// One warp computes one 16 x 8 tile of C with the instruction
//   mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32   (D = A_tile * B_tile + C, 16x8x8)
// looping over K in steps of 8. Per step the warp copies the 16 x 8 slice of A and the 8 x 8 slice
// of B (rows n, columns k) to shared memory, then `ldmatrix` hands every lane its fragment.
//
// Fragments (PTX ISA, "Matrix fragments for mma.m16n8k8" with .tf32), lane = 4 * group + t:
//   A (16 x 8): a0 = A[group][t], a1 = A[group + 8][t], a2 = A[group][t + 4], a3 = A[group + 8][t + 4]
//   B ( 8 x 8, k x n): b0 = B[k = t][n = group], b1 = B[k = t + 4][n = group]
//   C (16 x 8): c0, c1 = C[group][2t, 2t + 1], c2, c3 = C[group + 8][2t, 2t + 1]
//
// ldmatrix loads 8 x 8 matrices of 16-bit elements: lane l receives the 32 bits at row l / 4,
// 16-bit columns 2 (l % 4) and 2 (l % 4) + 1. For 32-bit data that is row l / 4, element l % 4,
// so an "8 x 8 b16" matrix is an 8-row x 4-float block. Lanes 8j .. 8j+7 give the row addresses
// of matrix j. For A (.x4): matrix 0 = rows 0-7, floats 0-3 (-> a0); 1 = rows 8-15, floats 0-3 (-> a1);
// 2 = rows 0-7, floats 4-7 (-> a2); 3 = rows 8-15, floats 4-7 (-> a3). For B stored n-major
// (Bs[n][k]), matrix 0 = floats k 0-3 (-> b0), matrix 1 = floats k 4-7 (-> b1): .x2.
//
// The tensor core reads only the top 19 bits of each tf32 input, so inputs are rounded to tf32
// first with cvt.rna.tf32.f32 (round to nearest, ties away from zero).

__device__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

__device__ unsigned to_tf32(unsigned bits)
{
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(__uint_as_float(bits)));
    return r;
}

extern "C" __global__ void mma_tf32_gemm(int M, int N, int K, const float* A, const float* B, float* C)
{
    __shared__ __align__(16) float As[16][8];
    __shared__ __align__(16) float Bs[8][8];
    int lane = threadIdx.x;                     // one warp per block: blockDim.x == 32
    int group = lane / 4, t = lane % 4;
    int tile_row = blockIdx.y * 16, tile_col = blockIdx.x * 8;

    float c[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int k0 = 0; k0 < K; k0 += 8) {
        // Stage: 128 floats of A (4 per lane) and 64 of B (2 per lane).
        for (int e = lane; e < 16 * 8; e += 32)
            As[e / 8][e % 8] = A[(tile_row + e / 8) * K + k0 + e % 8];
        for (int e = lane; e < 8 * 8; e += 32)
            Bs[e / 8][e % 8] = B[(tile_col + e / 8) * K + k0 + e % 8];
        __syncwarp();

        unsigned a[4], b[2];
        int j = lane / 8, r = lane % 8;         // this lane gives row r of matrix j
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                     : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3])
                     : "r"(shared_address(&As[(j % 2) * 8 + r][(j / 2) * 4])));
        asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];"
                     : "=r"(b[0]), "=r"(b[1])
                     : "r"(shared_address(&Bs[r][(j % 2) * 4])));   // lanes 16-31: addresses ignored
        for (int q = 0; q < 4; ++q) a[q] = to_tf32(a[q]);
        for (int q = 0; q < 2; ++q) b[q] = to_tf32(b[q]);

        asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
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
