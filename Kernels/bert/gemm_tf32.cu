// Tensor-core GEMM in TF32 (fp32 in and out, tf32 products, fp32 accumulation), batched, with
// transpose flags and the same epilogues as gemm_simt.cu. For each batch b (blockIdx.z):
//
//   C_b = alpha · op(A_b) · op(B_b) + beta · C_b   [+ bias]   [then GELU]
//
// Same operand conventions as gemm_simt.cu (row-major; A (m, k) at A[m·lda + k], or A[k·lda + m]
// when transposed; likewise B). Requirements, checked by the launcher (else it uses the SIMT kernel):
// lda, ldb and the batch strides are multiples of 4 and A, B are 16-byte aligned, so that every
// 4-float chunk along a stored row is one aligned 16-byte copy.
//
// The instruction: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32, a warp-wide 16×8×8 product.
// Inputs are rounded to tf32 (10 mantissa bits) with cvt.rna.tf32.f32 first: the result is about
// 1e-3 relative, not fp32-exact. Fragment layout (PTX ISA, "Matrix fragments for mma.m16n8k8",
// .tf32), lane = 4·group + t:
//   A 16×8 (m×k): a0 = A[group][t], a1 = A[group + 8][t], a2 = A[group][t + 4], a3 = A[group + 8][t + 4]
//   B 8×8 (k×n):  b0 = B[t][group], b1 = B[t + 4][group]
//   C 16×8:       c0, c1 = C[group][2t, 2t + 1],  c2, c3 = C[group + 8][2t, 2t + 1]
//
// Tiling. 256 threads = 8 warps compute a 128×128 tile of C; warp w covers rows 64·(w / 4) .. +63
// and columns 32·(w % 4) .. +31, i.e. 4 × 4 mma tiles of 16×8 (64 accumulators per thread).
// K is walked BK = 8 at a time through a STAGES = 3 deep ring of shared-memory buffers filled by
// cp.async (global → shared copies that bypass registers and run in the background): while the
// warps multiply slice k, the copies of slices k + 1 and k + 2 are in flight.
//
// Shared-memory layouts follow the operand's storage, so every copy is a contiguous 16-byte chunk:
//   A not transposed: As[m][k] (128 rows of 8 + 4 floats)  → fragments by ldmatrix (below)
//   A transposed:     As[k][m] (8 rows of 128 + 8 floats)  → fragments by 4 scalar shared loads
//   B transposed:     Bs[n][k]                              → ldmatrix
//   B not transposed: Bs[k][n]                              → scalar shared loads
// ldmatrix.m8n8.b16 hands lane l the 32 bits at row l / 4, 16-bit columns 2(l % 4), +1 of an 8×8
// b16 matrix — for 32-bit data, element l % 4 of row l / 4 of an 8-row × 4-float block, which is
// exactly a tf32 fragment when the block is stored [m or n][k]. Lanes 8j .. 8j + 7 give the row
// addresses of matrix j. The paddings (+4, +8 floats) keep the 8 rows of an ldmatrix, and the
// scalar fragment loads of a warp, in distinct banks.
// Edge chunks (partly outside the matrix) are loaded with ordinary loads and zero-filled.

#define BM 128
#define BN 128
#define BK 8
#define STAGES 3
#define THREADS 256
#define K_MAJOR_PAD 4          // rows of BK floats: [m][k], [n][k]
#define MN_MAJOR_PAD 8         // rows of 128 floats: [k][m], [k][n]
#define STAGE_FLOATS (BM * (BK + K_MAJOR_PAD))   // the larger of the two layouts (1536 vs 1088 floats)

#define EPILOGUE_NONE 0
#define EPILOGUE_BIAS 1
#define EPILOGUE_BIAS_GELU 2

__device__ __forceinline__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

__device__ __forceinline__ unsigned to_tf32(float x)
{
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}

__device__ __forceinline__ float gelu_erf(float x) { return x * 0.5f * (1.0f + erff(x * 0.70710678118654752f)); }

// Where element (row, col) of a stage buffer lives: rows of `major` floats plus padding.
template <bool K_MAJOR>
__device__ __forceinline__ int stage_index(int outer, int inner)
{
    return K_MAJOR ? outer * (BK + K_MAJOR_PAD) + inner : outer * (BM + MN_MAJOR_PAD) + inner;
}

// Copies this thread's 4-float chunk of a BM (or BN) × BK slice of an operand into a stage buffer.
// K_MAJOR (the operand is stored with k contiguous: A not transposed, B transposed): the slice is
// 128 rows × 2 chunks, thread t takes row t / 2, chunk t % 2. Otherwise 8 k-rows × 32 chunks: thread t
// takes k-row t / 32, chunk t % 32. `extent` is M (or N), the matrix's size along the 128 side.
template <bool K_MAJOR>
__device__ __forceinline__ void load_chunk(const float* X, int ld, int extent, int K, int outer0, int k0, float* stage)
{
    int t = threadIdx.x;
    int mn = K_MAJOR ? t / 2 : (t % 32) * 4;          // position along the 128 side (chunk start if !K_MAJOR)
    int k = K_MAJOR ? (t % 2) * 4 : t / 32;          // position along k (chunk start if K_MAJOR)
    float* dst = stage + (K_MAJOR ? stage_index<true>(mn, k) : stage_index<false>(k, mn));
    const float* src = K_MAJOR ? X + (long long)(outer0 + mn) * ld + k0 + k : X + (long long)(k0 + k) * ld + outer0 + mn;
    // Valid elements of the chunk: it runs along k (K_MAJOR) or along m/n.
    int valid = K_MAJOR ? (outer0 + mn < extent ? K - (k0 + k) : 0) : (k0 + k < K ? extent - (outer0 + mn) : 0);
    if (valid >= 4) {
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" :: "r"(shared_address(dst)), "l"(src));
    } else {
        #pragma unroll
        for (int e = 0; e < 4; ++e) dst[e] = e < valid ? src[e] : 0.0f;
    }
}

template <bool TRANS_A, bool TRANS_B>
__device__ __forceinline__ void gemm_tf32(int M, int N, int K, float alpha,
                                          const float* A, int lda, long long stride_a,
                                          const float* B, int ldb, long long stride_b,
                                          float beta, float* C, int ldc, long long stride_c,
                                          const float* bias, int epilogue)
{
    constexpr bool A_K_MAJOR = !TRANS_A, B_K_MAJOR = TRANS_B;
    __shared__ __align__(16) float As[STAGES][STAGE_FLOATS];
    __shared__ __align__(16) float Bs[STAGES][STAGE_FLOATS];
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    A += blockIdx.z * stride_a;
    B += blockIdx.z * stride_b;
    C += blockIdx.z * stride_c;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int group = lane / 4, t = lane % 4;
    int warp_m = (warp / 4) * 64, warp_n = (warp % 4) * 32;

    float acc[4][4][4];
    #pragma unroll
    for (int i = 0; i < 4; ++i)
        #pragma unroll
        for (int j = 0; j < 4; ++j)
            #pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

    int slices = (K + BK - 1) / BK;
    // Prologue: start the copies of the first STAGES − 1 slices. Every iteration commits exactly one
    // group (possibly empty), so "wait until at most STAGES − 2 groups are pending" always means
    // "the slice about to be used has landed".
    #pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < slices) {
            load_chunk<A_K_MAJOR>(A, lda, M, K, m0, s * BK, As[s]);
            load_chunk<B_K_MAJOR>(B, ldb, N, K, n0, s * BK, Bs[s]);
        }
        asm volatile("cp.async.commit_group;");
    }

    for (int slice = 0; slice < slices; ++slice) {
        asm volatile("cp.async.wait_group %0;" :: "n"(STAGES - 2));
        __syncthreads();   // every thread's copies of this slice are visible; the buffer refilled below is no longer read
        int next = slice + STAGES - 1;
        if (next < slices) {
            load_chunk<A_K_MAJOR>(A, lda, M, K, m0, next * BK, As[next % STAGES]);
            load_chunk<B_K_MAJOR>(B, ldb, N, K, n0, next * BK, Bs[next % STAGES]);
        }
        asm volatile("cp.async.commit_group;");

        const float* as = As[slice % STAGES];
        const float* bs = Bs[slice % STAGES];
        unsigned a[4][4], b[4][2];
        int j = lane / 8, r = lane % 8;              // ldmatrix: this lane gives row r of matrix j
        #pragma unroll
        for (int mi = 0; mi < 4; ++mi) {
            int row = warp_m + mi * 16;
            if (A_K_MAJOR) {
                // Matrices: 0 = rows 0-7, k 0-3; 1 = rows 8-15, k 0-3; 2 = rows 0-7, k 4-7; 3 = rows 8-15, k 4-7.
                asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                             : "=r"(a[mi][0]), "=r"(a[mi][1]), "=r"(a[mi][2]), "=r"(a[mi][3])
                             : "r"(shared_address(as + stage_index<true>(row + (j % 2) * 8 + r, (j / 2) * 4))));
                #pragma unroll
                for (int e = 0; e < 4; ++e) a[mi][e] = to_tf32(__uint_as_float(a[mi][e]));
            } else {
                a[mi][0] = to_tf32(as[stage_index<false>(t, row + group)]);
                a[mi][1] = to_tf32(as[stage_index<false>(t, row + group + 8)]);
                a[mi][2] = to_tf32(as[stage_index<false>(t + 4, row + group)]);
                a[mi][3] = to_tf32(as[stage_index<false>(t + 4, row + group + 8)]);
            }
        }
        #pragma unroll
        for (int ni = 0; ni < 4; ni += 2) {
            int col = warp_n + ni * 8;
            if (B_K_MAJOR) {
                // Two n-tiles at once. Matrices: 0 = tile ni, k 0-3; 1 = tile ni, k 4-7; 2, 3 = tile ni + 1.
                asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                             : "=r"(b[ni][0]), "=r"(b[ni][1]), "=r"(b[ni + 1][0]), "=r"(b[ni + 1][1])
                             : "r"(shared_address(bs + stage_index<true>(col + (j / 2) * 8 + r, (j % 2) * 4))));
                #pragma unroll
                for (int q = 0; q < 2; ++q) {
                    b[ni][q] = to_tf32(__uint_as_float(b[ni][q]));
                    b[ni + 1][q] = to_tf32(__uint_as_float(b[ni + 1][q]));
                }
            } else {
                #pragma unroll
                for (int q = 0; q < 2; ++q) {
                    b[ni + q][0] = to_tf32(bs[stage_index<false>(t, col + q * 8 + group)]);
                    b[ni + q][1] = to_tf32(bs[stage_index<false>(t + 4, col + q * 8 + group)]);
                }
            }
        }
        #pragma unroll
        for (int mi = 0; mi < 4; ++mi)
            #pragma unroll
            for (int ni = 0; ni < 4; ++ni)
                asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                             "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                             : "+f"(acc[mi][ni][0]), "+f"(acc[mi][ni][1]), "+f"(acc[mi][ni][2]), "+f"(acc[mi][ni][3])
                             : "r"(a[mi][0]), "r"(a[mi][1]), "r"(a[mi][2]), "r"(a[mi][3]), "r"(b[ni][0]), "r"(b[ni][1]));
    }
    asm volatile("cp.async.wait_group 0;");          // no copy may outlive the block (only empty groups remain)

    #pragma unroll
    for (int mi = 0; mi < 4; ++mi)
        #pragma unroll
        for (int ni = 0; ni < 4; ++ni)
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                int m = m0 + warp_m + mi * 16 + group + (e / 2) * 8;
                int n = n0 + warp_n + ni * 8 + 2 * t + e % 2;
                if (m >= M || n >= N) continue;
                float* c = C + (long long)m * ldc + n;
                float v = alpha * acc[mi][ni][e];
                if (beta != 0.0f) v = fmaf(beta, *c, v);
                if (epilogue != EPILOGUE_NONE) v += bias[n];
                if (epilogue == EPILOGUE_BIAS_GELU) v = gelu_erf(v);
                *c = v;
            }
}

// One entry point per transpose combination: the shared-memory layouts and fragment loads differ
// at compile time. Suffix: n = not transposed, t = transposed, for A then B.
#define GEMM_TF32_ENTRY(NAME, TA, TB)                                                                       \
    extern "C" __global__ void __launch_bounds__(THREADS)                                                   \
    NAME(int M, int N, int K, float alpha, const float* A, int lda, long long stride_a,                     \
         const float* B, int ldb, long long stride_b, float beta, float* C, int ldc, long long stride_c,    \
         const float* bias, int epilogue)                                                                    \
    {                                                                                                       \
        gemm_tf32<TA, TB>(M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, stride_c,     \
                          bias, epilogue);                                                                  \
    }

GEMM_TF32_ENTRY(gemm_tf32_nn, false, false)
GEMM_TF32_ENTRY(gemm_tf32_nt, false, true)
GEMM_TF32_ENTRY(gemm_tf32_tn, true, false)
GEMM_TF32_ENTRY(gemm_tf32_tt, true, true)
