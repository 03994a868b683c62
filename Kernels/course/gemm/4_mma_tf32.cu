// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/Course/GemmCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// GEMM, step 4 of the course: tensor cores (mma.sync, TF32 inputs, FP32 accumulation).
//
//   C = alpha · A · B + beta · C,  all row-major float: A is M×K, B is K×N, C is M×N. Any sizes.
//
// What changed from step 3 (3_register_tiled.cu): the multiply-adds. One warp-wide instruction
//   mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32   (D = A_tile · B_tile + C, 16×8×8)
// does 1024 multiply-adds, where an FFMA does 32 (one per lane); an A100's tensor cores run TF32 at
// 8× its FP32 FMA rate. The price: inputs are rounded to tf32 (10 mantissa bits, about 1e-3
// relative; cvt.rna.tf32.f32 first) and every lane must hold its piece of each tile — a "fragment" —
// in a fixed layout (PTX ISA, "Matrix fragments for mma.m16n8k8" with .tf32), lane = 4 · group + t:
//   A (16 × 8): a0 = A[group][t], a1 = A[group + 8][t], a2 = A[group][t + 4], a3 = A[group + 8][t + 4]
//   B ( 8 × 8, k × n): b0 = B[k = t][n = group], b1 = B[k = t + 4][n = group]
//   C (16 × 8): c0, c1 = C[group][2t, 2t + 1], c2, c3 = C[group + 8][2t, 2t + 1]
//
// Thread-to-data mapping: a block of 4 warps (2 × 2) computes a 64 × 64 tile of C; warp w owns the
// 32 × 32 sub-tile at rows 32 · (w / 2), columns 32 · (w % 2), i.e. 2 × 4 mma tiles of 16 × 8
// (32 accumulators per lane: the register tiling of step 3, one level up).
// K is walked 8 at a time. Per slice the block stages A's 64 × 8 slice as As[m][k] and B's 8 × 64
// slice transposed, as Bs[n][k] (zeros outside the matrices). Then `ldmatrix` hands every lane its
// fragments: it loads 8 × 8 matrices of 16-bit elements, lane l receiving the 32 bits at row l / 4,
// 16-bit columns 2 (l % 4) and 2 (l % 4) + 1. For 32-bit data that is row l / 4, element l % 4, so an
// "8 × 8 b16" matrix is an 8-row × 4-float block; lanes 8j .. 8j+7 give the row addresses of matrix j.
// For A (.x4): matrix 0 = rows 0-7, floats 0-3 (-> a0); 1 = rows 8-15, floats 0-3 (-> a1);
// 2 = rows 0-7, floats 4-7 (-> a2); 3 = rows 8-15, floats 4-7 (-> a3). For B stored n-major,
// matrix 0 = floats k 0-3 (-> b0), matrix 1 = floats k 4-7 (-> b1): .x2.
// Rows of the shared arrays are padded from 8 to 12 floats (48 bytes): the 8 row addresses of one
// ldmatrix matrix then start in banks 0, 12, 24, 4, 16, 28, 8, 20 and cover all 32 banks once.
//
// What still limits it: as in step 3, loads and math take turns (the block waits at a barrier while
// each slice arrives), and a slice of 8 along K gives each barrier little work. The backend's kernel
// (Kernels/bert/gemm_tf32.cu) copies slices of 32 with cp.async into a 3-stage ring of buffers, so
// the copies of the next slices run while the tensor cores work on this one, with 128 × 128 tiles.

#define BM 64
#define BN 64
#define BK 8
#define PADDED_BK 12
#define THREADS 128

__device__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

__device__ unsigned to_tf32(unsigned bits)
{
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(__uint_as_float(bits)));
    return r;
}

extern "C" __global__ void __launch_bounds__(THREADS)
gemm_mma_tf32(int M, int N, int K, float alpha, const float* A, const float* B, float beta, float* C)
{
    __shared__ __align__(16) float As[BM][PADDED_BK];
    __shared__ __align__(16) float Bs[BN][PADDED_BK];
    int t = threadIdx.x, lane = t % 32, warp = t / 32;
    int group = lane / 4, quad = lane % 4;
    int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    int warp_row = 32 * (warp / 2), warp_col = 32 * (warp % 2);

    float c[2][4][4];
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni)
#pragma unroll
            for (int q = 0; q < 4; ++q) c[mi][ni][q] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        // Stage 512 floats of A (4 per thread, consecutive threads along a row's k) and of B
        // (consecutive threads along a row's n, stored transposed).
#pragma unroll
        for (int q = 0; q < BM * BK / THREADS; ++q) {
            int e = t + q * THREADS, m = e / BK, k = e % BK;
            As[m][k] = (row0 + m < M && k0 + k < K) ? A[(row0 + m) * K + k0 + k] : 0.0f;
        }
#pragma unroll
        for (int q = 0; q < BK * BN / THREADS; ++q) {
            int e = t + q * THREADS, k = e / BN, n = e % BN;
            Bs[n][k] = (k0 + k < K && col0 + n < N) ? B[(k0 + k) * N + col0 + n] : 0.0f;
        }
        __syncthreads();

        int j = lane / 8, r = lane % 8;          // this lane gives row r of ldmatrix matrix j
        unsigned a[2][4], b[4][2];
#pragma unroll
        for (int mi = 0; mi < 2; ++mi) {
            asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                         : "=r"(a[mi][0]), "=r"(a[mi][1]), "=r"(a[mi][2]), "=r"(a[mi][3])
                         : "r"(shared_address(&As[warp_row + 16 * mi + (j % 2) * 8 + r][(j / 2) * 4])));
#pragma unroll
            for (int q = 0; q < 4; ++q) a[mi][q] = to_tf32(a[mi][q]);
        }
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
            asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];"
                         : "=r"(b[ni][0]), "=r"(b[ni][1])
                         : "r"(shared_address(&Bs[warp_col + 8 * ni + r][(j % 2) * 4])));   // lanes 16-31: ignored
#pragma unroll
            for (int q = 0; q < 2; ++q) b[ni][q] = to_tf32(b[ni][q]);
        }
#pragma unroll
        for (int mi = 0; mi < 2; ++mi)
#pragma unroll
            for (int ni = 0; ni < 4; ++ni)
                asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                             "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                             : "+f"(c[mi][ni][0]), "+f"(c[mi][ni][1]), "+f"(c[mi][ni][2]), "+f"(c[mi][ni][3])
                             : "r"(a[mi][0]), "r"(a[mi][1]), "r"(a[mi][2]), "r"(a[mi][3]), "r"(b[ni][0]), "r"(b[ni][1]));
        __syncthreads();                         // every fragment read before the next slice is staged
    }

    // c0, c1 at row `group`, columns 2·quad and 2·quad + 1 of each 16 × 8 tile; c2, c3 eight rows lower.
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni)
#pragma unroll
            for (int q = 0; q < 4; ++q) {
                int row = row0 + warp_row + 16 * mi + group + 8 * (q / 2);
                int col = col0 + warp_col + 8 * ni + 2 * quad + q % 2;
                if (row < M && col < N)
                    C[row * N + col] = alpha * c[mi][ni][q] + beta * C[row * N + col];
            }
}
