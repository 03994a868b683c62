// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmWgmmaBf16KernelTests.cs, Tests/CudaBert.Tests/BertKernels/GemmGeluDerivativeEpilogueTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperGemmBf16Kernels.cs (used by GemmBf16Kernels.Run on compute capability
// 9.x when opted in; the benchmark's "GEMM bf16 wgmma" rows time it there)
//
// Hopper's tensor-core GEMM with bfloat16 operands and float32 accumulation, for every layout of
// gemm_bf16.cu. For each batch item b
//
//   C_b = alpha · op(A_b) · op(B_b) + beta · C_b   [+ bias]   [then GELU]     (beta = 0 does not read C)
//   or  C_b = alpha · op(A_b) · op(B_b) ⊙ GELU′(aux_b)                         (beta = 0; aux as C, float32)
//
// Operand conventions as gemm_bf16.cu: row-major bfloat16 bits; A (m, k) at A[m·lda + k], or
// A[k·lda + m] when transposed; B (k, n) at B[k·ldb + n], or B[n·ldb + k] when transposed. C is
// float32, or bfloat16 when c_bf16 is set (rounded to nearest even once, after the epilogue). The
// layouts BERT's training uses: X·Wᵀ (nt, the forward pass), dY·W (nn, the input's gradient),
// dYᵀ·X (tn, the weight's gradient). A and B reach the kernel as tensor maps that the launcher
// encodes; the tensor copies need (the launcher checks) A and B 16-byte aligned, lda, ldb and the
// batch strides multiples of 8 elements (rows 16 bytes apart). Otherwise GemmBf16Kernels.Dispatch
// keeps the mma.sync kernel, gemm_bf16.cu.
//
// Compiled for compute_90a (Kernels/hopper/ → Kernels/ptx/hopper/): wgmma and the tensor copies exist
// only on sm_90a.
//
// The structure is gemm_wgmma_tf32.cu's — read its header comment first: a producer warp issuing TMA
// tensor copies into a ring of STAGES shared-memory buffers guarded by full/empty mbarriers
// (wgmma_pipeline.cuh), two consumer warpgroups multiplying, a persistent grid walking 128×128 tiles.
// What differs is the element type and, with it, the operand layouts.
//
// The instruction: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 (PTX ISA 8.4,
// "Asynchronous Warpgroup Level Matrix Multiply-Accumulate"), a warpgroup (4 warps, 128 threads)
// multiplying a 64×16 tile of op(A) by a 16×128 tile of op(B) into 64×128 fp32 accumulators. The
// products of bfloat16 values are exact in float32, so the only rounding is that of the fp32 sums.
//
// Transposes without copies. The tensor cores read each operand in one of two orders ("Shared
// Memory Matrix Layout"): K-major (K is the contiguous axis of a shared-memory row) or, for 16-bit
// types, M/N-major (M or N contiguous), chosen per operand by the instruction's imm-trans-a and
// imm-trans-b. So each operand is copied into shared memory in its global order, whichever that is:
//   op(A):  nt, nn: A is m×k row-major, k contiguous → K-major, imm-trans-a = 0
//           tn, tt: A is k×m row-major, m contiguous → M-major, imm-trans-a = 1
//   op(B):  nt, tt: B is n×k row-major, k contiguous → K-major, imm-trans-b = 0
//           nn, tn: B is k×n row-major, n contiguous → N-major, imm-trans-b = 1
//
// Slices, boxes and the shared-memory layout. K is walked BK = 64 elements at a time: 64 bfloat16 are
// 128 bytes, the span of the 128-byte swizzle, so one shared "row" of a slice is 128 contiguous bytes;
// 8 rows form a 1024-byte atom in which 16-byte chunk c of row r is stored at chunk position c ^ r.
// The copy engine writes that layout (the tensor map's swizzle) and wgmma reads it (the descriptor's).
// A stage holds a 128×64 slice of op(A) (16 KB) and a 64×128 slice of op(B) (16 KB):
//   K-major operand: one box of 64 k × 128 rows (m or n); row = one m/n, its 64 k. Descriptor: SBO =
//     1024 (between 8-row atoms along m/n), LBO unused (16); the k16 step s starts 32·s bytes into the rows.
//   M/N-major operand: a box's inner extent may not pass the swizzle span, so two boxes of 64 m/n ×
//     64 k, each an 8 KB "panel" whose row = one k, 64 consecutive m/n. Descriptor: SBO = 1024 (between
//     atoms of 8 k-rows), LBO = 8192 (between the panels along n; PTX ISA "Matrix Descriptor Format",
//     strides of MN-major swizzled layouts); the k16 step s starts 16 rows = 2048·s bytes further.
// Consumer warpgroup g reads A's rows 64g .. 64g + 63, which start 8 KB into the A slice either way (64
// K-major rows of 128 bytes, or panel g), and all of B. Every buffer starts on a 1024-byte boundary
// (the swizzle is a function of address bits 7..9). Rows, columns or k past the matrix arrive as
// zeros, so ragged M, N, K need no code, and every box counts its full size off the barrier:
// STAGE_BYTES = 32 KB of transactions per slice, whatever the layout and the edges.
//
// STAGES = 6. A stage is 32 KB; the 227 KB of shared memory a block may have would fit 7 (225 KB +
// 1 KB of alignment slack). One slice is 128·128·64 multiply-adds, about 0.3 µs of an SM's tensor
// cores at bf16 peak; with 6 buffers, 5 slices (≈ 1.4 µs) can be in flight ahead of the consumers,
// more than a load's latency from DRAM (≈ 0.6–1 µs), so a 7th buffer would buy no overlap. 6 stages
// are also the 193 KB the TF32 transposed kernel already asks for.
//
// Tiles and the thread-to-data map. One block = 288 threads: consumer warpgroups 0, 1 (threads
// 0 .. 255) and the producer warp (threads 256 .. 287, one elected lane issuing the copies). A tile
// is 128 (m) × 128 (n) of C; consumer g owns rows 64g .. 64g + 63, all 128 columns: 64 fp32
// accumulators per thread (PTX ISA, "Matrix fragments for wgmma.m64nNk16", f32 D). Lane = 4·group + t
// of warp w of warpgroup g holds
//   acc[4j + 0], acc[4j + 1] = C[64g + 16w + group][8j + 2t, 8j + 2t + 1]
//   acc[4j + 2], acc[4j + 3] = C[64g + 16w + group + 8][8j + 2t, 8j + 2t + 1]      (j = 0 .. 15)
//
// The ring, the persistent grid and the tile order (row tile fastest, then column tile, then batch
// item; block i takes tiles i, i + gridDim.x, ...) are gemm_wgmma_tf32.cu's, as are the parities:
// slice number `fill` (counted over all of a block's tiles) uses buffer fill % STAGES in round
// r = fill / STAGES; the producer waits on empty[s] for parity (r & 1) ^ 1, the consumers on full[s]
// for parity r & 1, and a consumer releases slice fill − 1's buffer once wgmma.wait_group 1 says its
// products are done.
//
// Epilogue (alpha, beta·C, bias, GELU, GELU′(aux)) straight from the accumulators, each lane writing
// pairs of consecutive columns, into float32 or bfloat16 C.

#define BM 128                                 // tile rows: CONSUMERS warpgroups of 64
#define BN 128
#define BK 64                                  // k per slice: 128 bytes, the swizzle span
#define STAGES 6
#define CONSUMERS 2
#define WARPGROUP 128
#define THREADS (CONSUMERS * WARPGROUP + 32)   // + the producer warp
#define PRODUCER_WARP (CONSUMERS * WARPGROUP / 32)
#define ROW_BYTES 128                          // one swizzled row: 64 bfloat16
#define PANEL 64                               // m or n of an M/N-major box
#define PANEL_BYTES (BK * ROW_BYTES)           // an M/N-major box: 64 k-rows of 64 m/n, 8 KB
#define A_STAGE_BYTES (BM * BK * 2)            // 16 KB
#define B_STAGE_BYTES (BN * BK * 2)            // 16 KB
#define STAGE_BYTES (A_STAGE_BYTES + B_STAGE_BYTES)
#define CONSUMER_A_BYTES (A_STAGE_BYTES / CONSUMERS)   // where consumer g's 64 rows of A start: 8 KB further per g
// The launcher asks for STAGES · STAGE_BYTES + 1024 bytes: the extra 1024 let the kernel round the
// dynamic shared memory's start up to the swizzle atom.

#include "../bert/gemm_epilogue.cuh"
#include "wgmma_pipeline.cuh"

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

// One operand's slice (BK of k from k0, 128 rows of m or n from outer0) into the stage buffer: one
// K-major box, or two M/N-major panels (see the header comment), all completing on `filled`.
template <bool K_MAJOR>
__device__ __forceinline__ void load_slice(unsigned buffer, const TensorMap* map, int k0, int outer0, int item, unsigned filled)
{
    if (K_MAJOR) {
        tensor_load(buffer, map, k0, outer0, item, filled);
    } else {
        tensor_load(buffer, map, outer0, k0, item, filled);
        tensor_load(buffer + PANEL_BYTES, map, outer0 + PANEL, k0, item, filled);
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


// The epilogue of consumer `consumer`'s 64 rows of the 128×128 tile at (m0, n0) of C_item (the
// thread-to-data map of the header comment): C = alpha·acc + beta·C, then gemm_epilogue.cuh's
// epilogue (aux_item laid out like C_item), rounded once to bfloat16 when c_bf16.
__device__ __forceinline__ void store_tile(const float (&acc)[64], void* C, long long c_item, int ldc, int c_bf16,
                                           int M, int N, int m0, int n0, int consumer, float alpha, float beta,
                                           const float* bias, const float* aux, int epilogue)
{
    int warp = threadIdx.x % WARPGROUP / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    #pragma unroll
    for (int half = 0; half < 2; ++half) {
        int m = m0 + consumer * 64 + 16 * warp + group + 8 * half;
        if (m >= M) continue;
        long long row = c_item + (long long)m * ldc;
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

template <bool TRANS_A, bool TRANS_B>
__device__ __forceinline__ void gemm_wgmma_bf16(const TensorMap& map_a, const TensorMap& map_b,
                                                int M, int N, int K, int batch, float alpha, int a_items, int b_items,
                                                float beta, void* C, int ldc, long long stride_c, int c_bf16,
                                                const float* bias, const float* aux, int epilogue)
{
    // K-major operands step 32 bytes along their rows per k16; M/N-major ones 16 rows (2048 bytes).
    constexpr unsigned A_STEP = TRANS_A ? 16 * ROW_BYTES : 32, B_STEP = TRANS_B ? 32 : 16 * ROW_BYTES;
    constexpr unsigned A_LEADING = TRANS_A ? PANEL_BYTES : 16, B_LEADING = TRANS_B ? 16 : PANEL_BYTES;

    extern __shared__ unsigned char dynamic_shared[];
    __shared__ __align__(8) unsigned long long full[STAGES], empty[STAGES];
    unsigned base = (shared_address(dynamic_shared) + 1023) & ~1023u;   // the swizzle atom's alignment
    int row_tiles = (M + BM - 1) / BM, column_tiles = (N + BN - 1) / BN;
    int tiles = row_tiles * column_tiles * batch;
    int slices = (K + BK - 1) / BK;

    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            barrier_init(shared_address(&full[s]), 1);
            barrier_init(shared_address(&empty[s]), CONSUMERS);
        }
        // The copy engine updates the barriers through the async proxy: make the initialised objects visible to it.
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    }
    __syncthreads();

    // `fill` counts the slices this block has put through the ring, over all its tiles: slice number
    // fill uses buffer fill % STAGES in round fill / STAGES. Producer and consumers count the same.
    if (threadIdx.x / 32 == PRODUCER_WARP) {
        if (elect_one()) {
            unsigned fill = 0;
            for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
                int m0 = tile % row_tiles * BM, n0 = tile / row_tiles % column_tiles * BN, item = tile / (row_tiles * column_tiles);
                for (int slice = 0; slice < slices; ++slice, ++fill) {
                    int s = fill % STAGES;
                    barrier_wait(shared_address(&empty[s]), ((fill / STAGES) & 1) ^ 1);
                    unsigned filled = shared_address(&full[s]), buffer = base + s * STAGE_BYTES;
                    barrier_arrive_expect_bytes(filled, STAGE_BYTES);
                    load_slice<!TRANS_A>(buffer, &map_a, slice * BK, m0, item % a_items, filled);
                    load_slice<TRANS_B>(buffer + A_STAGE_BYTES, &map_b, slice * BK, n0, item % b_items, filled);
                }
            }
        }
        return;
    }

    int consumer = threadIdx.x / WARPGROUP;
    bool releaser = threadIdx.x % WARPGROUP == 0;   // the thread that arrives on "empty" for its warpgroup
    unsigned fill = 0;
    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        int m0 = tile % row_tiles * BM, n0 = tile / row_tiles % column_tiles * BN, item = tile / (row_tiles * column_tiles);
        float acc[64];
        #pragma unroll
        for (int i = 0; i < 64; ++i) acc[i] = 0.0f;

        for (int slice = 0; slice < slices; ++slice, ++fill) {
            int s = fill % STAGES;
            barrier_wait(shared_address(&full[s]), (fill / STAGES) & 1);

            unsigned a_tile = base + s * STAGE_BYTES + consumer * CONSUMER_A_BYTES;
            unsigned b_tile = base + s * STAGE_BYTES + A_STAGE_BYTES;
            asm volatile("wgmma.fence.sync.aligned;" ::: "memory");   // accumulators written before are ordered before
            #pragma unroll
            for (int step = 0; step < BK / 16; ++step)
                wgmma_m64n128k16<TRANS_A ? 1 : 0, TRANS_B ? 0 : 1>(acc,
                    make_descriptor(a_tile + A_STEP * step, A_LEADING), make_descriptor(b_tile + B_STEP * step, B_LEADING));
            asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
            // Slice's products stay in flight; those of slice - 1 are done, so its buffer can be refilled.
            asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");
            if (slice > 0 && releaser) barrier_arrive(shared_address(&empty[(fill - 1) % STAGES]));
        }
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");   // the last slice's products
        if (releaser) barrier_arrive(shared_address(&empty[(fill - 1) % STAGES]));

        // The epilogue; meanwhile the producer already loads the next tile's first slices.
        store_tile(acc, C, item * stride_c, ldc, c_bf16, M, N, m0, n0, consumer, alpha, beta, bias, aux, epilogue);
    }
}

// One entry point per transpose combination (the boxes' coordinate order and imm-trans-a/-b are fixed
// at compile time). Names: gemm_wgmma_bf16_<A><B>, n = not transposed, t = transposed. map_a: A as
// (k, m, a_items) when K-major, (m, k, a_items) when M-major, innermost first; map_b likewise with n.
// A batch item b reads item b mod a_items of A (a_items is 1 when every item shares one A) and likewise B.
#define GEMM_WGMMA_BF16_ENTRY(NAME, TA, TB)                                                                      \
    extern "C" __global__ void __launch_bounds__(THREADS, 1)                                                    \
    NAME(const __grid_constant__ TensorMap map_a, const __grid_constant__ TensorMap map_b,                      \
         int M, int N, int K, int batch, float alpha, int a_items, int b_items,                                 \
         float beta, void* C, int ldc, long long stride_c, int c_bf16,                                          \
         const float* __restrict__ bias, const float* __restrict__ aux, int epilogue)                           \
    {                                                                                                           \
        gemm_wgmma_bf16<TA, TB>(map_a, map_b, M, N, K, batch, alpha, a_items, b_items, beta, C, ldc, stride_c,   \
                                c_bf16, bias, aux, epilogue);                                                   \
    }

GEMM_WGMMA_BF16_ENTRY(gemm_wgmma_bf16_nn, false, false)
GEMM_WGMMA_BF16_ENTRY(gemm_wgmma_bf16_nt, false, true)
GEMM_WGMMA_BF16_ENTRY(gemm_wgmma_bf16_tn, true, false)
GEMM_WGMMA_BF16_ENTRY(gemm_wgmma_bf16_tt, true, true)
