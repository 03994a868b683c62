// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmWgmmaBf16KernelTests.cs, Tests/CudaBert.Tests/BertKernels/GemmGeluDerivativeEpilogueTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperGemmBf16Kernels.cs (used by GemmBf16Kernels.Run on compute capability
// 9.x when opted in; the benchmark's "GEMM bf16 wgmma" rows time it there)
//
// Hopper's tensor-core GEMM with bfloat16 operands and float32 accumulation, for every layout of
// gemm_bf16.cu. For each batch b (blockIdx.z):
//
//   C_b = alpha · op(A_b) · op(B_b) + beta · C_b   [+ bias]   [then GELU]     (beta = 0 does not read C)
//   or  C_b = alpha · op(A_b) · op(B_b) ⊙ GELU′(aux_b)                         (beta = 0; aux as C, float32)
//
// Operand conventions as gemm_bf16.cu: row-major bfloat16 bits; A (m, k) at A[m·lda + k], or
// A[k·lda + m] when transposed; B (k, n) at B[k·ldb + n], or B[n·ldb + k] when transposed. C is
// float32, or bfloat16 when c_bf16 is set (rounded to nearest even once, after the epilogue). The
// layouts BERT's training uses: X·Wᵀ (nt, the forward pass), dY·W (nn, the input's gradient),
// dYᵀ·X (tn, the weight's gradient). Requirements (the launcher checks): A and B 16-byte aligned,
// lda, ldb and the batch strides multiples of 8 elements, so that every 8-element chunk a cp.async
// copies starts on a 16-byte boundary.
//
// Compiled for compute_90a (Kernels/hopper/ → Kernels/ptx/hopper/): wgmma exists only on sm_90a.
//
// The instruction: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 (PTX ISA 8.4,
// "Asynchronous Warpgroup Level Matrix Multiply-Accumulate"), a warpgroup (4 warps, 128 threads)
// multiplying a 64×16 tile of op(A) by a 16×128 tile of op(B) into 64×128 fp32 accumulators. Both
// operands are read from shared memory through 64-bit matrix descriptors. The products of bfloat16
// values are exact in float32, so the only rounding is that of the fp32 sums.
//
// Transposes without copies. The tensor cores read each operand in one of two orders ("Shared
// Memory Matrix Layout"): K-major (K is the contiguous axis of a shared-memory row) or, for 16-bit
// types, M/N-major (M or N contiguous), chosen per operand by the instruction's imm-trans-a and
// imm-trans-b. Each operand is copied into shared memory in its global order, whichever that is:
//   op(A):  nt, nn: A is m×k row-major, k contiguous → K-major, imm-trans-a = 0
//           tn, tt: A is k×m row-major, m contiguous → M-major, imm-trans-a = 1
//   op(B):  nt, tt: B is n×k row-major, k contiguous → K-major, imm-trans-b = 0
//           nn, tn: B is k×n row-major, n contiguous → N-major, imm-trans-b = 1
//
// Tiles. One block = one warpgroup = a 64 (m) × 128 (n) tile of C; 64 accumulators per thread.
// Accumulator layout (PTX ISA, "Matrix fragments for wgmma.m64nNk16", f32 D), lane = 4·group + t,
// warp w of the warpgroup owns rows 16w .. 16w + 15:
//   acc[4j + 0], acc[4j + 1] = C[16w + group][8j + 2t, 8j + 2t + 1]
//   acc[4j + 2], acc[4j + 3] = C[16w + group + 8][8j + 2t, 8j + 2t + 1]      (j = 0 .. 15)
//
// Pipeline: as gemm_wgmma_tf32.cu. K is walked BK = 64 elements at a time through STAGES = 3
// shared-memory buffers filled by cp.async; per slice: wait for this thread's copies, fence.proxy.async
// (cp.async writes through the generic proxy, wgmma reads through the async one), barrier, 4 wgmma of
// k16 in one commit group, wgmma.wait_group 1 (the previous slice's group is done, so its buffer can be
// refilled), issue the copies of slice + 2.
//
// Shared memory: the 128-byte swizzle throughout. A "row" is 128 contiguous bytes = 64 bfloat16; 8 rows
// form a 1024-byte atom in which 16-byte chunk c of row r is stored at chunk position c ^ r (r = row % 8).
//   K-major operand (ROWS = 64 or 128 of m/n): row = one m/n, its 64 k of the slice. Descriptor: SBO
//     = 1024 (between 8-row atoms along m/n), LBO unused (1); the k16 step s starts 32·s bytes into the rows.
//   M/N-major operand: row = one k, 64 consecutive m/n; a slice's 64 k-rows make one 8 KB "panel" of
//     64 m/n, and B's 128 n are two panels. Descriptor: SBO = 1024 (between atoms of 8 k-rows), LBO =
//     8192 (between panels; PTX ISA "Matrix Descriptor Format", strides of MN-major swizzled layouts);
//     the k16 step s starts 16 rows = 2048·s bytes further.
// Either way a stage holds A in 8 KB and B in 16 KB, and every buffer starts on a 1024-byte boundary
// (the swizzle is a function of address bits 7..9).
//
// Copies: 16-byte chunks (8 elements consecutive in global memory) by cp.async; thread i copies chunks
// i, i + 128, ... of the operand's slice: K-major, chunk id → row id / 8, k chunk id % 8 (8 threads
// read one 128-byte row segment); M/N-major, chunk id → k row id / (ROWS / 8), m/n chunk id % (ROWS / 8).
// Chunks partly or wholly outside the matrix read only their valid bytes (cp.async's src-size) and
// zero-fill the rest, so padding adds 0 to every product.
//
// Epilogue (alpha, beta·C, bias, GELU, GELU′(aux)) straight from the accumulators, as gemm_wgmma_tf32.cu.

#define BM 64
#define BN 128
#define BK 64
#define STAGES 3
#define THREADS 128
#define ROW_BYTES 128                          // one swizzled row: 64 bfloat16
#define PANEL_BYTES (BK * ROW_BYTES)           // an M/N-major slice of 64 m/n: 8 KB
#define A_STAGE_BYTES (BM * BK * 2)            // 8 KB
#define B_STAGE_BYTES (BN * BK * 2)            // 16 KB
#define STAGE_BYTES (A_STAGE_BYTES + B_STAGE_BYTES)
// The launcher asks for STAGES · STAGE_BYTES + 1024 bytes: the extra 1024 let the kernel round the
// dynamic shared memory's start up to the swizzle atom.

#include "../bert/gemm_epilogue.cuh"

__device__ __forceinline__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

__device__ __forceinline__ unsigned short float_to_bf16_bits(float x)
{
    unsigned short bits;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(bits) : "f"(x));
    return bits;
}

__device__ __forceinline__ float bf16_bits_to_float(unsigned short bits) { return __uint_as_float((unsigned)bits << 16); }

// The 64-bit wgmma matrix descriptor (PTX ISA, "Matrix Descriptor Format"): bits 0..13 start address
// >> 4, 16..29 leading-dimension byte offset >> 4, 32..45 stride-dimension byte offset >> 4, 49..51
// base offset (0: buffers on 1024-byte boundaries), 62..63 swizzle mode (1 = 128-byte swizzle).
__device__ __forceinline__ unsigned long long make_descriptor(unsigned address, unsigned leading_bytes)
{
    return (unsigned long long)((address & 0x3FFFF) >> 4)
         | ((unsigned long long)(leading_bytes >> 4) << 16)
         | ((unsigned long long)(1024 >> 4) << 32)
         | (1ull << 62);
}

// Copies one operand's slice into a swizzled stage buffer: ROWS of m or n (from outer0, limit valid)
// × BK of k (from k0, K valid). K_MAJOR: element (row, k) at X[row·ld + k]; otherwise at X[k·ld + row].
template <int ROWS, bool K_MAJOR>
__device__ __forceinline__ void copy_slice(unsigned buffer, const unsigned short* X, int ld, int outer0, int limit,
                                           int k0, int K)
{
    #pragma unroll
    for (int i = 0; i < ROWS * BK / 8 / THREADS; ++i) {
        int id = threadIdx.x + THREADS * i;
        int row, chunk, outer, k, valid;                 // shared row, its 16-byte chunk; the chunk's first element
        unsigned panel = 0;
        if (K_MAJOR) {
            row = id / 8;
            chunk = id % 8;
            outer = outer0 + row;
            k = k0 + 8 * chunk;
            valid = (outer < limit && k < K) ? min(8, K - k) * 2 : 0;
        } else {
            int along = id % (ROWS / 8);                 // the chunk's place along m/n: 8 per panel
            row = id / (ROWS / 8);
            chunk = along % 8;
            panel = along / 8;
            outer = outer0 + 8 * along;
            k = k0 + row;
            valid = (k < K && outer < limit) ? min(8, limit - outer) * 2 : 0;
        }
        unsigned destination = buffer + panel * PANEL_BYTES + row * ROW_BYTES + ((chunk ^ (row % 8)) * 16);
        long long offset = K_MAJOR ? (long long)outer * ld + k : (long long)k * ld + outer;
        const unsigned short* source = X + (valid > 0 ? offset : 0);
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(destination), "l"(source), "r"(valid));
    }
}

// One k16 step: acc += op(A)(64×16 at a) · op(B)(16×128 at b). scale-d is a predicate (true: D = A·B + D,
// false: D = A·B); imm-scale-a, imm-scale-b = 1 (no negation); imm-trans-a, imm-trans-b select M/N-major.
template <int TRANS_A, int TRANS_B>
__device__ __forceinline__ void wgmma_m64n128k16(float (&d)[64], unsigned long long a, unsigned long long b)
{
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "%64, %65, accumulate, 1, 1, %67, %68;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(a), "l"(b), "r"(1), "n"(TRANS_A), "n"(TRANS_B));
}

template <bool TRANS_A, bool TRANS_B>
__device__ __forceinline__ void gemm_wgmma_bf16(int M, int N, int K, float alpha,
                                                const unsigned short* A, int lda, long long stride_a,
                                                const unsigned short* B, int ldb, long long stride_b,
                                                float beta, void* C, int ldc, long long stride_c, int c_bf16,
                                                const float* bias, const float* aux, int epilogue)
{
    // K-major operands step 32 bytes along their rows per k16; M/N-major ones 16 rows (2048 bytes).
    constexpr unsigned A_STEP = TRANS_A ? 16 * ROW_BYTES : 32, B_STEP = TRANS_B ? 32 : 16 * ROW_BYTES;
    constexpr unsigned A_LEADING = TRANS_A ? PANEL_BYTES : 16, B_LEADING = TRANS_B ? 16 : PANEL_BYTES;

    extern __shared__ unsigned char dynamic_shared[];
    unsigned base = (shared_address(dynamic_shared) + 1023) & ~1023u;   // the swizzle atom's alignment

    A += blockIdx.z * stride_a;
    B += blockIdx.z * stride_b;
    long long c_offset = blockIdx.z * stride_c;
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    int slices = (K + BK - 1) / BK;

    float acc[64];
    #pragma unroll
    for (int i = 0; i < 64; ++i) acc[i] = 0.0f;

    // Prologue: slices 0 .. STAGES - 2 in flight, one commit group each (empty past the end).
    #pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < slices) {
            copy_slice<BM, !TRANS_A>(base + s * STAGE_BYTES, A, lda, m0, M, s * BK, K);
            copy_slice<BN, TRANS_B>(base + s * STAGE_BYTES + A_STAGE_BYTES, B, ldb, n0, N, s * BK, K);
        }
        asm volatile("cp.async.commit_group;");
    }

    for (int slice = 0; slice < slices; ++slice) {
        asm volatile("cp.async.wait_group %0;" :: "n"(STAGES - 2));   // this thread's copies of `slice` landed
        asm volatile("fence.proxy.async.shared::cta;");               // ... and are visible to wgmma
        __syncthreads();                                               // ... for every thread's copies

        unsigned a_tile = base + (slice % STAGES) * STAGE_BYTES, b_tile = a_tile + A_STAGE_BYTES;
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
        #pragma unroll
        for (int step = 0; step < BK / 16; ++step)
            wgmma_m64n128k16<TRANS_A ? 1 : 0, TRANS_B ? 0 : 1>(acc,
                make_descriptor(a_tile + A_STEP * step, A_LEADING), make_descriptor(b_tile + B_STEP * step, B_LEADING));
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
        asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");   // slice - 1's buffer is free

        int next = slice + STAGES - 1;                             // (next % STAGES) is slice - 1's buffer
        if (next < slices) {
            unsigned buffer = base + (next % STAGES) * STAGE_BYTES;
            copy_slice<BM, !TRANS_A>(buffer, A, lda, m0, M, next * BK, K);
            copy_slice<BN, TRANS_B>(buffer + A_STAGE_BYTES, B, ldb, n0, N, next * BK, K);
        }
        asm volatile("cp.async.commit_group;");
    }
    asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");   // the last slice's products
    asm volatile("cp.async.wait_group 0;");   // no copy may outlive the block (only empty groups remain)

    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    #pragma unroll
    for (int half = 0; half < 2; ++half) {
        int m = m0 + 16 * warp + group + 8 * half;
        if (m >= M) continue;
        long long row = c_offset + (long long)m * ldc;
        #pragma unroll
        for (int j = 0; j < BN / 8; ++j) {
            #pragma unroll
            for (int e = 0; e < 2; ++e) {
                int n = n0 + 8 * j + 2 * t + e;
                if (n >= N) continue;
                float x = alpha * acc[4 * j + 2 * half + e];
                if (c_bf16) {
                    unsigned short* c = (unsigned short*)C + row + n;
                    if (beta != 0.0f) x = fmaf(beta, bf16_bits_to_float(*c), x);
                    *c = float_to_bf16_bits(gemm_epilogue(x, epilogue, bias, n, aux + row + n));
                } else {
                    float* c = (float*)C + row + n;
                    if (beta != 0.0f) x = fmaf(beta, *c, x);
                    *c = gemm_epilogue(x, epilogue, bias, n, aux + row + n);
                }
            }
        }
    }
}

// One entry point per transpose combination (the copies' index order and imm-trans-a/-b are fixed at
// compile time). Names: gemm_wgmma_bf16_<A><B>, n = not transposed, t = transposed.
#define GEMM_WGMMA_BF16_ENTRY(NAME, TA, TB)                                                                  \
    extern "C" __global__ void __launch_bounds__(THREADS, 1)                                                \
    NAME(int M, int N, int K, float alpha, const unsigned short* __restrict__ A, int lda, long long stride_a, \
         const unsigned short* __restrict__ B, int ldb, long long stride_b, float beta, void* C, int ldc,   \
         long long stride_c, int c_bf16, const float* __restrict__ bias, const float* __restrict__ aux,      \
         int epilogue)                                                                                      \
    {                                                                                                       \
        gemm_wgmma_bf16<TA, TB>(M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, stride_c,  \
                                c_bf16, bias, aux, epilogue);                                               \
    }

GEMM_WGMMA_BF16_ENTRY(gemm_wgmma_bf16_nn, false, false)
GEMM_WGMMA_BF16_ENTRY(gemm_wgmma_bf16_nt, false, true)
GEMM_WGMMA_BF16_ENTRY(gemm_wgmma_bf16_tn, true, false)
GEMM_WGMMA_BF16_ENTRY(gemm_wgmma_bf16_tt, true, true)
