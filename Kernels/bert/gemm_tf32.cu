// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmTf32KernelTests.cs, Tests/CudaBert.Tests/BertKernels/GemmGeluDerivativeEpilogueTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs, Course/CourseBenchmark.cs

// Tensor-core GEMM in TF32 (fp32 in and out, tf32 products, fp32 accumulation), batched, with
// transpose flags and the same epilogues as gemm_simt.cu. For each batch b (blockIdx.z):
//
//   C_b = alpha · op(A_b) · op(B_b) + beta · C_b   [+ bias]   [then GELU]
//   or  C_b = alpha · op(A_b) · op(B_b) ⊙ GELU′(aux_b)            (beta = 0)
//
// Same operand conventions as gemm_simt.cu (row-major; A (m, k) at A[m·lda + k], or A[k·lda + m]
// when transposed; likewise B). Requirements, checked by the launcher (else it uses the SIMT kernel):
// lda, ldb and the batch strides are multiples of 4 and A, B are 16-byte aligned, so that every
// 4-float chunk along a stored row is one aligned 16-byte copy.
//
// The instruction: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32, a warp-wide 16×8×8 product.
// Inputs are rounded to tf32 (10 mantissa bits) with cvt.rna.tf32.f32 first: the result is about
// 1e-3 relative, not fp32-exact. The fragments are rounded in registers, as loaded: rounding each
// slice once in shared memory instead saves instructions but adds a read and a write of every
// staged byte; measured on an H200 the two versions are within run-to-run noise of each other
// (docs/gpu-benchmarks.md, runs 2 and 3). Fragment layout (PTX ISA, "Matrix fragments for
// mma.m16n8k8", .tf32), lane = 4·group + t:
//   A 16×8 (m×k): a0 = A[group][t], a1 = A[group + 8][t], a2 = A[group][t + 4], a3 = A[group + 8][t + 4]
//   B 8×8 (k×n):  b0 = B[t][group], b1 = B[t + 4][group]
//   C 16×8:       c0, c1 = C[group][2t, 2t + 1],  c2, c3 = C[group + 8][2t, 2t + 1]
//
// Tiles. Two shapes, one template, both 128 threads = 4 warps in 2 (m) × 2 (n):
//   128×128: a warp owns 64 rows × 64 columns of C, i.e. MI × NI = 4 × 8 mma tiles of 16×8 (128
//            accumulators per thread). For large products. Why 64×64 per warp: a k-step (8 of K) loads
//            (64 + 64)·8 floats of fragments for 32 mma, 4 KB per 32 mma, where 64×32 warps load 3 KB per
//            16 — a third fewer shared-memory bytes per mma. On an H200 this was no faster than 8 warps
//            of 64×32 (both 100–120 TFLOP/s, about a third of cuBLAS): what bounds the kernel there is
//            not established yet (docs/gpu-benchmarks.md, run 3).
//   64×64:   a warp owns 32 × 32 (2 × 4 mma tiles, 32 accumulators). For grids that the big tile
//            cannot fill (small batched attention products, K ≤ 128).
//
// Pipeline. K is walked BK = 32 at a time through a STAGES = 3 deep ring of shared-memory buffers
// filled by cp.async (global → shared copies that bypass registers and run in the background): while
// the warps multiply slice k (4 mma k-steps of 8, i.e. 128 mma per warp for the big tile), the copies of
// slices k + 1 and k + 2 are in flight. One barrier per slice: it says both "slice k has landed in
// every thread's view" and "nobody still reads the buffer that slice k + 2 is about to overwrite".
// BK = 32 (not 8) keeps barriers and waits off the critical path: per barrier and per wait there is
// four times the work, and each global row segment the threads copy is a full 128 bytes.
// Shared memory (dynamic, so the launcher must opt in above 48 KB): per stage one A and one B buffer
// of STAGE_FLOATS(tile side) floats: 128×128: 3 × 2 × 4608 × 4 B = 110,592 B (two blocks fit on an
// H100/H200 SM's 228 KB, one on an A100's 164 KB); 64×64: 3 × 2 × 2304 × 4 B = 55,296 B.
// Occupancy: the 128×128 kernel asks for 2 blocks per SM (__launch_bounds__(128, 2): ≤ 255 registers
// per thread, 128 of them accumulators; ptxas uses 186–196: 2 × 128 × 200 of the SM's 65536) rather than
// one block with a deeper ring, so that one block's prologue and epilogue overlap the other's loop;
// each warp has 32 independent mma per k-step to keep the tensor cores busy. The 64×64 kernel asks
// for 4 (4 × 55 KB, ≤ 128 registers).
// Copies (SliceCopier): per slice each thread copies side · BK / 4 / 128 chunks of 16 bytes of each
// operand (8 for the 128 tile, 4 for the 64 tile), chunk ids thread + 128·i; k-major: row id / 8,
// k 4·(id % 8) (8 threads per 128-byte row segment); mn-major: k-row id / (side / 4),
// m/n 4·(id % (side / 4)) (side / 4 threads per row segment of side floats).
//
// Shared-memory layouts follow the operand's storage, so every copy is a contiguous 16-byte chunk:
//   k-major (A not transposed, B transposed):  [m or n][k], rows of BK + 4 = 36 floats
//   mn-major (A transposed, B not transposed): [k][m or n], rows of tile side + 8 floats
// k-major fragments come from ldmatrix.m8n8.x4.b16: it hands lane l the 32 bits at row l / 4, 16-bit
// columns 2(l % 4), +1 of an 8×8 b16 matrix — for 32-bit data, element l % 4 of row l / 4 of an
// 8-row × 4-float block, which is exactly a tf32 fragment when the block is stored [m or n][k]. Lanes
// 8j .. 8j + 7 give the row addresses of matrix j. Row stride 36 ≡ 4 (mod 32 banks): the 8 rows of a
// matrix fall in 8 distinct 4-bank groups.
// mn-major fragments come from 16-byte shared loads (ld.shared.v4), made possible by permuting which
// rows (columns) of the tile each mma row (column) stands for. The mma does not care which real row
// an accumulator row is, as long as the epilogue writes it back to that row:
//   A (m): mma tile mi, row group + 8h of a warp ↦ tile row warp_m + 32·(mi / 2) + 4·group + 2·(mi % 2) + h
//          so lane (group, t) finds a0, a1 of tiles mi = 2q, 2q + 1 in the 4 consecutive floats
//          As[t][warp_m + 32q + 4·group ..], and a2, a3 in row t + 4: 2 loads per q for 2 mma tiles.
//   B (n): mma tile ni, column j ↦ tile column warp_n + 32·(ni / 4) + 4·j + ni % 4
//          so b0 of n-tiles 4q .. 4q + 3 is the 4 floats Bs[t][warp_n + 32q + 4·group ..], b1 is row t + 4.
// Row stride ≡ 8 (mod 32): a quarter-warp (8 lanes: 2 groups × 4 t) reads 8 distinct 4-bank groups.
// The k order inside an mma is the natural one in both layouts, so any A layout pairs with any B layout.
//
// Interior slices (the block's tile inside the matrix along m/n, the slice inside K; a test that is
// the same for the whole block) copy with plain 16-byte cp.async. Otherwise chunks partly or wholly
// outside the matrix are copied with cp.async's src-size operand: only the valid bytes are read, the
// rest of the 16 bytes is zero-filled, so the padding contributes 0 to every product and no byte
// outside the matrix is read.
//
// Epilogue (alpha, beta·C, bias, GELU, GELU′(aux) as gemm_simt.cu), straight from the accumulators:
// in each row a lane holds runs of consecutive columns — pairs with B k-major, quadruples across
// n-tiles 4q .. 4q + 3 with B mn-major (the permutation above) — written as one 8- or 16-byte store
// when ldc and C allow it (aux is read element by element).

#define BK 32
#define STAGES 3
#define K_MAJOR_STRIDE (BK + 4)
#define MN_MAJOR_PAD 8
// Floats of one stage buffer for a tile side of `side` rows (m or n), whichever layout is larger.
#define STAGE_FLOATS(side) ((side) * K_MAJOR_STRIDE > BK * ((side) + MN_MAJOR_PAD) ? (side) * K_MAJOR_STRIDE : BK * ((side) + MN_MAJOR_PAD))

#include "gemm_epilogue.cuh"

__device__ __forceinline__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

// x rounded to tf32 (nearest, ties away from zero) for the mma, which reads only the sign, the exponent
// and the top 10 mantissa bits. ptxas implements it as 2 instructions (a test for ±Inf/NaN and an add
// of 2^12 at the mantissa's bit 12; the low 13 bits are not cleared).
__device__ __forceinline__ unsigned to_tf32(float x)
{
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}

// The copies of one operand: each slice is SIDE rows of the tile (along m or n) × BK, i.e.
// SIDE · BK / 4 chunks of 16 bytes, and the block copies them in PASSES passes of THREADS chunks.
// K_MAJOR (stored with k contiguous): in a pass, thread id covers stage row id / 8 + pass · ROWS_PER_PASS,
//   k 4·(id % 8) .. +3 — 8 threads copy one 128-byte row segment. Otherwise (stored with m/n
//   contiguous): k-row id / (SIDE / 4) + pass · ROWS_PER_PASS, m/n 4·(id % (SIDE / 4)) .. +3.
// Everything that does not change from slice to slice (this thread's first source address, the step
// between passes, its stage-buffer offset) is computed once, so a slice costs a few adds per chunk.
template <int SIDE, int THREADS, bool K_MAJOR>
struct SliceCopier {
    static constexpr int CHUNKS_PER_ROW = K_MAJOR ? BK / 4 : SIDE / 4;
    static constexpr int ROWS_PER_PASS = THREADS / CHUNKS_PER_ROW;
    static constexpr int PASSES = SIDE * BK / 4 / THREADS;
    static constexpr int STRIDE = K_MAJOR ? K_MAJOR_STRIDE : SIDE + MN_MAJOR_PAD;

    const float* base;      // the matrix (this batch item), for chunks that read nothing
    const float* src;       // pass 0's chunk in slice 0
    long long pass_step;    // floats from one pass's chunk to the next: ROWS_PER_PASS rows of ld
    long long slice_step;   // floats from one slice to the next: BK along k
    int mn, k;              // matrix coordinates of pass 0's chunk in slice 0
    int extent, K;          // the matrix is extent (M or N) × K
    int dst;                // float offset of pass 0's chunk in a stage buffer
    bool tile_inside;       // the block's SIDE rows (m or n) all lie inside the matrix

    __device__ __forceinline__ SliceCopier(const float* X, int ld, int extent_, int K_, int outer0)
    {
        int row = threadIdx.x / CHUNKS_PER_ROW, col = (threadIdx.x % CHUNKS_PER_ROW) * 4;   // in the stage buffer
        mn = K_MAJOR ? outer0 + row : outer0 + col;
        k = K_MAJOR ? col : row;
        base = X;
        src = K_MAJOR ? X + (long long)mn * ld + k : X + (long long)k * ld + mn;
        pass_step = (long long)ROWS_PER_PASS * ld;
        slice_step = K_MAJOR ? BK : (long long)BK * ld;
        extent = extent_;
        K = K_;
        dst = row * STRIDE + col;
        tile_inside = outer0 + SIDE <= extent;
    }

    // Starts the copies of slice `slice` into `stage`. Inside the matrix (the tile along m/n and the
    // slice along k: every slice of every block but the edge ones; the test is the same for the whole
    // block, so no warp diverges) each chunk is a plain 16-byte copy. Otherwise a chunk partly or
    // wholly outside reads only its valid floats (cp.async's src-size), the rest of its 16 bytes
    // zero-filled.
    __device__ __forceinline__ void copy(int slice, float* stage) const
    {
        const float* p = src + slice * slice_step;
        unsigned d = shared_address(stage + dst);
        if (tile_inside && (slice + 1) * BK <= K) {
            #pragma unroll
            for (int i = 0; i < PASSES; ++i)
                asm volatile("cp.async.cg.shared.global [%0], [%1], 16;"
                             :: "r"(d + i * ROWS_PER_PASS * STRIDE * 4), "l"(p + i * pass_step));
            return;
        }
        int kk = k + slice * BK;
        #pragma unroll
        for (int i = 0; i < PASSES; ++i) {
            // Valid floats of the chunk: it runs along k (K_MAJOR) or along m/n.
            int valid = K_MAJOR ? (mn + i * ROWS_PER_PASS < extent ? K - kk : 0)
                                : (kk + i * ROWS_PER_PASS < K ? extent - mn : 0);
            valid = min(max(valid, 0), 4);
            asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
                         :: "r"(d + i * ROWS_PER_PASS * STRIDE * 4), "l"(valid > 0 ? p + i * pass_step : base), "r"(valid * 4));
        }
    }
};

// Finishes RUN consecutive outputs row[n .. n + RUN − 1] (those < N): alpha·acc [+ beta·C], then the
// epilogue (aux_row: the same row of aux, laid out like C). One vector load / store when the whole
// run is inside the row and `vector_ok` (C's row starts are RUN-float aligned), else element by
// element. (The float4 branches index 2 % RUN and
// 3 % RUN so that they still compile for RUN = 2, where they are dead code.)
template <int RUN>
__device__ __forceinline__ void store_run(float* row, int n, int N, float (&v)[RUN], float alpha, float beta,
                                          const float* bias, const float* aux_row, int epilogue, bool vector_ok)
{
    bool whole = vector_ok && n + RUN <= N;
    float old[RUN];
    if (beta != 0.0f) {
        if (whole && RUN == 4) {
            float4 o = *(const float4*)(row + n);
            old[0] = o.x; old[1] = o.y; old[2 % RUN] = o.z; old[3 % RUN] = o.w;
        } else if (whole) {
            float2 o = *(const float2*)(row + n);
            old[0] = o.x; old[1] = o.y;
        } else {
            #pragma unroll
            for (int i = 0; i < RUN; ++i) old[i] = n + i < N ? row[n + i] : 0.0f;
        }
    }
    #pragma unroll
    for (int i = 0; i < RUN; ++i) {
        float x = alpha * v[i];
        if (beta != 0.0f) x = fmaf(beta, old[i], x);
        v[i] = n + i < N ? gemm_epilogue(x, epilogue, bias, n + i, aux_row + n + i) : x;
    }
    if (whole && RUN == 4) {
        *(float4*)(row + n) = make_float4(v[0], v[1], v[2 % RUN], v[3 % RUN]);
    } else if (whole) {
        *(float2*)(row + n) = make_float2(v[0], v[1]);
    } else {
        #pragma unroll
        for (int i = 0; i < RUN; ++i)
            if (n + i < N) row[n + i] = v[i];
    }
}

template <int WARPS_M, int WARPS_N, int MI, int NI, bool TRANS_A, bool TRANS_B>
__device__ __forceinline__ void gemm_tf32(int M, int N, int K, float alpha,
                                          const float* A, int lda, long long stride_a,
                                          const float* B, int ldb, long long stride_b,
                                          float beta, float* C, int ldc, long long stride_c,
                                          const float* bias, const float* aux, int epilogue)
{
    constexpr int THREADS = 32 * WARPS_M * WARPS_N;
    constexpr int BM = WARPS_M * MI * 16, BN = WARPS_N * NI * 8;
    constexpr int A_FLOATS = STAGE_FLOATS(BM), B_FLOATS = STAGE_FLOATS(BN);
    constexpr bool A_K_MAJOR = !TRANS_A, B_K_MAJOR = TRANS_B;
    constexpr int A_STRIDE = A_K_MAJOR ? K_MAJOR_STRIDE : BM + MN_MAJOR_PAD;
    constexpr int B_STRIDE = B_K_MAJOR ? K_MAJOR_STRIDE : BN + MN_MAJOR_PAD;
    extern __shared__ __align__(16) float shared[];
    float* As = shared;                        // STAGES buffers of A_FLOATS
    float* Bs = shared + STAGES * A_FLOATS;    // then STAGES buffers of B_FLOATS

    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    A += blockIdx.z * stride_a;
    B += blockIdx.z * stride_b;
    C += blockIdx.z * stride_c;
    aux += blockIdx.z * stride_c;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int group = lane / 4, t = lane % 4;
    int warp_m = (warp / WARPS_N) * MI * 16, warp_n = (warp % WARPS_N) * NI * 8;

    float acc[MI][NI][4];
    #pragma unroll
    for (int i = 0; i < MI; ++i)
        #pragma unroll
        for (int j = 0; j < NI; ++j)
            #pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

    SliceCopier<BM, THREADS, A_K_MAJOR> copy_a(A, lda, M, K, m0);
    SliceCopier<BN, THREADS, B_K_MAJOR> copy_b(B, ldb, N, K, n0);
    int slices = (K + BK - 1) / BK;
    // Prologue: start the copies of the first STAGES − 1 slices. Every iteration commits exactly one
    // group (possibly empty), so "wait until at most STAGES − 2 groups are pending" always means
    // "the slice about to be used has landed".
    #pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < slices) {
            copy_a.copy(s, As + s * A_FLOATS);
            copy_b.copy(s, Bs + s * B_FLOATS);
        }
        asm volatile("cp.async.commit_group;");
    }

    int j = lane / 8, r = lane % 8;                  // ldmatrix: this lane gives row r of matrix j
    for (int slice = 0; slice < slices; ++slice) {
        asm volatile("cp.async.wait_group %0;" :: "n"(STAGES - 2));
        __syncthreads();   // every thread's copies of this slice are visible; the buffer refilled below is no longer read
        int next = slice + STAGES - 1;
        if (next < slices) {
            copy_a.copy(next, As + (next % STAGES) * A_FLOATS);
            copy_b.copy(next, Bs + (next % STAGES) * B_FLOATS);
        }
        asm volatile("cp.async.commit_group;");

        const float* as = As + (slice % STAGES) * A_FLOATS;
        const float* bs = Bs + (slice % STAGES) * B_FLOATS;
        // The 4 k-steps of a slice, unrolled by 2: unrolled fully, the compiler hoists the fragments of
        // all 4 k-steps and the 64×64 kernels reach their cap of 128 registers (4 blocks per SM).
        #pragma unroll 2
        for (int kk = 0; kk < BK; kk += 8) {
            unsigned a[MI][4], b[NI][2];
            if (A_K_MAJOR) {
                #pragma unroll
                for (int mi = 0; mi < MI; ++mi) {
                    // Matrices: 0 = rows 0-7, k 0-3; 1 = rows 8-15, k 0-3; 2 = rows 0-7, k 4-7; 3 = rows 8-15, k 4-7.
                    int row = warp_m + mi * 16 + (j % 2) * 8 + r;
                    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                                 : "=r"(a[mi][0]), "=r"(a[mi][1]), "=r"(a[mi][2]), "=r"(a[mi][3])
                                 : "r"(shared_address(as + row * A_STRIDE + kk + (j / 2) * 4)));
                    #pragma unroll
                    for (int e = 0; e < 4; ++e) a[mi][e] = to_tf32(__uint_as_float(a[mi][e]));
                }
            } else {
                #pragma unroll
                for (int q = 0; q < MI / 2; ++q)
                    #pragma unroll
                    for (int h = 0; h < 2; ++h) {   // h = 0: k = t (a0, a1); h = 1: k = t + 4 (a2, a3)
                        float4 v = *(const float4*)(as + (kk + t + 4 * h) * A_STRIDE + warp_m + 32 * q + 4 * group);
                        a[2 * q][2 * h] = to_tf32(v.x);
                        a[2 * q][2 * h + 1] = to_tf32(v.y);
                        a[2 * q + 1][2 * h] = to_tf32(v.z);
                        a[2 * q + 1][2 * h + 1] = to_tf32(v.w);
                    }
            }
            if (B_K_MAJOR) {
                #pragma unroll
                for (int ni = 0; ni < NI; ni += 2) {
                    // Two n-tiles at once. Matrices: 0 = tile ni, k 0-3; 1 = tile ni, k 4-7; 2, 3 = tile ni + 1.
                    int col = warp_n + ni * 8 + (j / 2) * 8 + r;
                    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                                 : "=r"(b[ni][0]), "=r"(b[ni][1]), "=r"(b[ni + 1][0]), "=r"(b[ni + 1][1])
                                 : "r"(shared_address(bs + col * B_STRIDE + kk + (j % 2) * 4)));
                    #pragma unroll
                    for (int q = 0; q < 2; ++q) {
                        b[ni][q] = to_tf32(__uint_as_float(b[ni][q]));
                        b[ni + 1][q] = to_tf32(__uint_as_float(b[ni + 1][q]));
                    }
                }
            } else {
                #pragma unroll
                for (int q = 0; q < NI / 4; ++q)
                    #pragma unroll
                    for (int h = 0; h < 2; ++h) {   // h = 0: k = t (b0); h = 1: k = t + 4 (b1)
                        float4 v = *(const float4*)(bs + (kk + t + 4 * h) * B_STRIDE + warp_n + 32 * q + 4 * group);
                        b[4 * q][h] = to_tf32(v.x);
                        b[4 * q + 1][h] = to_tf32(v.y);
                        b[4 * q + 2][h] = to_tf32(v.z);
                        b[4 * q + 3][h] = to_tf32(v.w);
                    }
            }
            #pragma unroll
            for (int mi = 0; mi < MI; ++mi)
                #pragma unroll
                for (int ni = 0; ni < NI; ++ni)
                    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                                 : "+f"(acc[mi][ni][0]), "+f"(acc[mi][ni][1]), "+f"(acc[mi][ni][2]), "+f"(acc[mi][ni][3])
                                 : "r"(a[mi][0]), "r"(a[mi][1]), "r"(a[mi][2]), "r"(a[mi][3]), "r"(b[ni][0]), "r"(b[ni][1]));
        }
    }
    asm volatile("cp.async.wait_group 0;");          // no copy may outlive the block (only empty groups remain)

    // Epilogue: accumulator e of tile (mi, ni) is mma row group + 8·(e / 2), column 2t + e % 2; the
    // mn-major layouts permuted rows / columns (header), so map back to the real tile position. In one
    // row a lane holds runs of consecutive columns: pairs 8·ni + 2t, +1 (B k-major) or, across n-tiles
    // 4q .. 4q + 3, quadruples 32q + 4·(2t + e % 2) .. +3 (B mn-major); each run is one 8- or 16-byte
    // access where C's rows allow it.
    constexpr int RUN = B_K_MAJOR ? 2 : 4;
    bool vector_ok = ldc % RUN == 0 && (unsigned long long)C % (4 * RUN) == 0;   // C: this batch item's
    #pragma unroll
    for (int mi = 0; mi < MI; ++mi)
        #pragma unroll
        for (int h = 0; h < 2; ++h) {
            int m = m0 + warp_m + (A_K_MAJOR ? mi * 16 + group + 8 * h : 32 * (mi / 2) + 4 * group + 2 * (mi % 2) + h);
            if (m >= M) continue;
            float* row = C + (long long)m * ldc;
            const float* aux_row = aux + (long long)m * ldc;
            #pragma unroll
            for (int run = 0; run < 2 * NI / RUN; ++run) {
                float v[RUN];
                int n;
                if (B_K_MAJOR) {            // run = n-tile
                    n = n0 + warp_n + run * 8 + 2 * t;
                    v[0] = acc[mi][run][2 * h];
                    v[1] = acc[mi][run][2 * h + 1];
                } else {                    // run = 2q + e % 2; element i of the run is n-tile 4q + i
                    int q = run / 2;
                    n = n0 + warp_n + 32 * q + 4 * (2 * t + run % 2);
                    #pragma unroll
                    for (int i = 0; i < RUN; ++i) v[i] = acc[mi][4 * q + i][2 * h + run % 2];
                }
                store_run<RUN>(row, n, N, v, alpha, beta, bias, aux_row, epilogue, vector_ok);
            }
        }
}

// One entry point per tile shape and transpose combination: the shared-memory layouts and fragment
// loads differ at compile time. Names: gemm_tf32_<tile>_<A><B>, n = not transposed, t = transposed.
// Arguments: warps along m and n, mma tiles per warp along m and n, resident blocks per SM, transposes.
#define GEMM_TF32_ENTRY(NAME, WM, WN, MI, NI, MIN_BLOCKS, TA, TB)                                            \
    extern "C" __global__ void __launch_bounds__(32 * WM * WN, MIN_BLOCKS)                                  \
    NAME(int M, int N, int K, float alpha, const float* A, int lda, long long stride_a,                     \
         const float* B, int ldb, long long stride_b, float beta, float* C, int ldc, long long stride_c,    \
         const float* bias, const float* aux, int epilogue)                                                  \
    {                                                                                                       \
        gemm_tf32<WM, WN, MI, NI, TA, TB>(M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, \
                                          stride_c, bias, aux, epilogue);                                   \
    }

GEMM_TF32_ENTRY(gemm_tf32_128_nn, 2, 2, 4, 8, 2, false, false)
GEMM_TF32_ENTRY(gemm_tf32_128_nt, 2, 2, 4, 8, 2, false, true)
GEMM_TF32_ENTRY(gemm_tf32_128_tn, 2, 2, 4, 8, 2, true, false)
GEMM_TF32_ENTRY(gemm_tf32_128_tt, 2, 2, 4, 8, 2, true, true)
GEMM_TF32_ENTRY(gemm_tf32_64_nn, 2, 2, 2, 4, 4, false, false)
GEMM_TF32_ENTRY(gemm_tf32_64_nt, 2, 2, 2, 4, 4, false, true)
GEMM_TF32_ENTRY(gemm_tf32_64_tn, 2, 2, 2, 4, 4, true, false)
GEMM_TF32_ENTRY(gemm_tf32_64_tt, 2, 2, 2, 4, 4, true, true)
