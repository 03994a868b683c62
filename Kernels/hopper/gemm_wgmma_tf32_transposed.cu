// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmWgmmaTransposedKernelTests.cs, Tests/CudaBert.Tests/BertKernels/GemmGeluDerivativeEpilogueTests.cs, Tests/CudaBert.Tests/BertKernels/GemmWgmmaSplitKTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperGemmKernels.cs (used by GemmKernels.Run on compute capability 9.x)
//
// Hopper's TF32 GEMM for the layouts of training's backward pass, where an operand is not K-major:
//
//   "nn"  C = A·B     A M×K row-major (K-major),  B K×N row-major (N-major)   dX = dY·W
//   "tn"  C = Aᵀ·B    A K×M row-major (M-major),  B K×N row-major (N-major)   dW = dYᵀ·X
//   "tt"  C = Aᵀ·Bᵀ   A K×M row-major (M-major),  B N×K row-major (K-major)
//
// (plus beta·C, bias, GELU, GELU′(aux), batches as in gemm_wgmma_tf32.cu). Read that kernel's header comment
// first: this one is the same machine — TMA tensor copies into a ring of full/empty mbarriers, one
// producer warp, two consumer warpgroups, wgmma m64n128k8 on 128×128 tiles, a persistent grid — with
// one step added.
//
// Why a step is needed. wgmma reads TF32 operands from shared memory K-major only: the "transpose"
// bits of its instruction (which the bf16 kernel uses to read M/N-major tiles) exist for 16-bit types
// alone (PTX ISA, "wgmma.mma_async", and "Shared Memory Matrix Layout"). So an operand stored M- or
// N-major must be turned K-major on chip.
//
// The step. The producer's tensor copy moves the operand as stored: a box of 128 floats of M (or N,
// the contiguous dimension) by 32 rows of K, no swizzle, into a staging buffer, where slice element
// (k, m) sits at float k·128 + m. After the slice has landed (full[s]), the 256 consumer threads
// together write it K-major, in the 128-byte swizzle the descriptors read, into the stage's K-major
// buffer; each thread then fences its generic-proxy stores against the async proxy that wgmma reads
// through (fence.proxy.async), and a named barrier over the 256 consumers (bar.sync 1, 256) makes the
// whole tile ready before either warpgroup multiplies. A K-major operand ("nn"'s A, "tt"'s B) is
// copied by TMA straight into its K-major buffer, swizzled, as in the "nt" kernel.
//
// The transposing thread-to-data map. Consumer thread i (0 .. 255) owns row r = i mod 128 of the
// K-major tile (one m or n) and its 16-byte chunks c = i / 128 + 2j (j = 0 .. 3; chunk c holds
// k = 4c .. 4c + 3). For each chunk it loads staging[(4c + q)·128 + r], q = 0 .. 3 — a warp's 32 lanes
// read 32 consecutive floats, one per bank — and stores them as one 16-byte vector at chunk position
// c ^ (r mod 8) of row r (the 128-byte swizzle). A 16-byte store is served 8 lanes at a time; those 8
// lanes hold 8 consecutive rows, whose XOR-ed chunk positions are 8 different chunks: all 32 banks,
// once each. So neither side of the transposition has a bank conflict, and no swizzle is needed on
// the staging side.
//
// Who transposes, and why the consumers. Extra "transposer" warps would overlap the step with the
// multiply, at the price of another barrier pair per stage and a third role to read. Here the step is
// 16 floats per thread per transposed operand and slice, against 4 wgmma k8 steps (64·128·32 MACs per
// warpgroup) that run asynchronously: a consumer transposes slice i while the tensor cores still work
// on slice i − 1 (wgmma.wait_group 1 leaves that group in flight), so the tensor cores have queued work
// during most of the step. Speed on a Hopper GPU is not yet measured.
//
// Buffers and why the ring still protects them. Each of STAGES = 3 stages holds a K-major A and B
// (16 KB each, what the descriptors read) and a staging A and B (16 KB each, what the copies write for
// an M/N-major operand): 64 KB per stage, 192 KB + 1 KB of alignment, within Hopper's 227 KB per block.
// The K-major buffer of stage s belongs to the same ring slot as its staging buffer, so the full/empty
// protocol of "nt" covers both: a consumer writes stage s's K-major buffer in round r only after
// full[s] of round r, which the producer armed only after empty[s] of round r − 1, which both
// warpgroups signalled only after wgmma.wait_group showed their products of round r − 1 done. The
// staging buffer's transposing reads are finished by then too (they precede the named barrier).
//
// The multiply, tile order, persistent grid, split-K and epilogue are those of gemm_wgmma_tf32.cu (accumulator
// map included: consumer warpgroup g owns rows 64g .. 64g + 63 of the tile, all 128 columns).

#define BM 128                              // tile rows: CONSUMERS warpgroups of 64
#define BN 128
#define BK 32
#define STAGES 3
#define CONSUMERS 2
#define WARPGROUP 128
#define THREADS (CONSUMERS * WARPGROUP + 32)   // + the producer warp
#define PRODUCER_WARP (CONSUMERS * WARPGROUP / 32)
#define ROW_BYTES (BK * 4)                  // one K-major row: 128 bytes = the swizzle width
#define TILE_BYTES (BM * ROW_BYTES)         // one 128 × 32 operand slice: 16 KB, either layout
// A stage: K-major A, K-major B, staging A, staging B.
#define K_MAJOR_A 0
#define K_MAJOR_B TILE_BYTES
#define STAGING_A (2 * TILE_BYTES)
#define STAGING_B (3 * TILE_BYTES)
#define STAGE_BYTES (4 * TILE_BYTES)
#define COPY_BYTES (2 * TILE_BYTES)         // what the two tensor copies of a slice write
#define TRANSPOSE_BARRIER 1                 // named barrier of the 256 consumer threads (0 is __syncthreads)
// The launcher asks for STAGES · STAGE_BYTES + 1024 bytes: the extra 1024 let the kernel round the
// dynamic shared memory's start up to the swizzle atom.

#include "wgmma_tf32.cuh"

// The staging slice at `staging` (element (k, r) at float k·128 + r) written K-major with the 128-byte
// swizzle at `k_major`, by consumer thread `thread` (0 .. 255): the map in the header comment.
__device__ __forceinline__ void transpose_slice(const float* staging, unsigned char* k_major, int thread)
{
    int row = thread % BM;
    #pragma unroll
    for (int j = 0; j < 4; ++j) {
        int chunk = thread / BM + 2 * j;
        float4 v = make_float4(staging[(4 * chunk + 0) * BM + row], staging[(4 * chunk + 1) * BM + row],
                               staging[(4 * chunk + 2) * BM + row], staging[(4 * chunk + 3) * BM + row]);
        *reinterpret_cast<float4*>(k_major + row * ROW_BYTES + 16 * (chunk ^ (row % 8))) = v;
    }
}

// A_M_MAJOR: A is stored K × M (the "t" of "tn", "tt"), else M × K. B_N_MAJOR: B is stored K × N (the
// second "n"), else N × K. map_a: A as stored, innermost dimension first, times a_items: an M-major A
// is M × K × a_items with box 128 × 32 × 1 and no swizzle, a K-major one K × M × a_items with box
// 32 × 128 × 1 and the 128-byte swizzle; map_b likewise. A batch item b reads item b mod a_items of A
// (a_items is 1 when every item shares one A) and likewise B.
template <bool A_M_MAJOR, bool B_N_MAJOR>
__device__ __forceinline__ void gemm_transposed(const TensorMap& map_a, const TensorMap& map_b,
                                                int M, int N, int K, int batch, float alpha, int a_items, int b_items,
                                                float beta, float* C, int ldc, long long stride_c,
                                                const float* bias, const float* aux, int epilogue,
                                                int splits, float* partials)
{
    extern __shared__ unsigned char dynamic_shared[];
    __shared__ __align__(8) unsigned long long full[STAGES], empty[STAGES];
    unsigned base = (shared_address(dynamic_shared) + 1023) & ~1023u;   // the swizzle atom's alignment
    unsigned char* buffers = dynamic_shared + (base - shared_address(dynamic_shared));   // the same bytes, as a pointer
    int row_tiles = (M + BM - 1) / BM, column_tiles = (N + BN - 1) / BN;
    int tiles = row_tiles * column_tiles * batch, units = tiles * splits;
    int slices = (K + BK - 1) / BK;

    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            barrier_init(shared_address(&full[s]), 1);
            barrier_init(shared_address(&empty[s]), CONSUMERS);
        }
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    }
    __syncthreads();

    // `fill` counts the slices this block has put through the ring, as in gemm_wgmma_tf32.cu.
    if (threadIdx.x / 32 == PRODUCER_WARP) {
        if (elect_one()) {
            unsigned fill = 0;
            for (int unit = blockIdx.x; unit < units; unit += gridDim.x) {
                WorkUnit w = work_unit(unit, row_tiles, column_tiles, tiles, slices, splits);
                int m0 = w.m0, n0 = w.n0, item = w.item;
                for (int slice = w.first_slice; slice < w.end_slice; ++slice, ++fill) {
                    int s = fill % STAGES;
                    barrier_wait(shared_address(&empty[s]), ((fill / STAGES) & 1) ^ 1);
                    unsigned filled = shared_address(&full[s]), stage = base + s * STAGE_BYTES;
                    barrier_arrive_expect_bytes(filled, COPY_BYTES);
                    // A tensor map's coordinates go innermost first: (m, k) for an M-major A, (k, m) for a K-major one.
                    if (A_M_MAJOR) tensor_load(stage + STAGING_A, &map_a, m0, slice * BK, item % a_items, filled);
                    else tensor_load(stage + K_MAJOR_A, &map_a, slice * BK, m0, item % a_items, filled);
                    if (B_N_MAJOR) tensor_load(stage + STAGING_B, &map_b, n0, slice * BK, item % b_items, filled);
                    else tensor_load(stage + K_MAJOR_B, &map_b, slice * BK, n0, item % b_items, filled);
                }
            }
        }
        return;
    }

    int consumer = threadIdx.x / WARPGROUP;
    bool releaser = threadIdx.x % WARPGROUP == 0;   // the thread that arrives on "empty" for its warpgroup
    unsigned fill = 0;
    for (int unit = blockIdx.x; unit < units; unit += gridDim.x) {
        WorkUnit w = work_unit(unit, row_tiles, column_tiles, tiles, slices, splits);
        float acc[64];
        #pragma unroll
        for (int i = 0; i < 64; ++i) acc[i] = 0.0f;

        for (int slice = w.first_slice; slice < w.end_slice; ++slice, ++fill) {
            int s = fill % STAGES;
            barrier_wait(shared_address(&full[s]), (fill / STAGES) & 1);

            unsigned char* stage = buffers + s * STAGE_BYTES;
            if (A_M_MAJOR) transpose_slice(reinterpret_cast<const float*>(stage + STAGING_A), stage + K_MAJOR_A, threadIdx.x);
            if (B_N_MAJOR) transpose_slice(reinterpret_cast<const float*>(stage + STAGING_B), stage + K_MAJOR_B, threadIdx.x);
            // This thread's stores, made through the generic proxy, become visible to wgmma's async proxy;
            // then all 256 consumers' stores are in before either warpgroup reads the tile.
            asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
            asm volatile("bar.sync %0, %1;" :: "n"(TRANSPOSE_BARRIER), "n"(CONSUMERS * WARPGROUP) : "memory");

            unsigned a_tile = base + s * STAGE_BYTES + K_MAJOR_A + consumer * (BM / CONSUMERS) * ROW_BYTES;
            unsigned b_tile = base + s * STAGE_BYTES + K_MAJOR_B;
            asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
            #pragma unroll
            for (int step = 0; step < BK / 8; ++step)
                wgmma_m64n128k8(acc, make_descriptor(a_tile + 32 * step), make_descriptor(b_tile + 32 * step));
            asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
            asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");
            if (slice > w.first_slice && releaser) barrier_arrive(shared_address(&empty[(fill - 1) % STAGES]));
        }
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
        if (releaser) barrier_arrive(shared_address(&empty[(fill - 1) % STAGES]));

        store_unit(acc, w, splits, partials, C, ldc, stride_c, M, N, batch, consumer, alpha, beta, bias, aux, epilogue);
    }
}

#define TRANSPOSED_ENTRY(name, a_m_major, b_n_major)                                                                    \
    extern "C" __global__ void __launch_bounds__(THREADS, 1)                                                            \
    name(const __grid_constant__ TensorMap map_a, const __grid_constant__ TensorMap map_b,                              \
         int M, int N, int K, int batch, float alpha, int a_items, int b_items,                                         \
         float beta, float* __restrict__ C, int ldc, long long stride_c, const float* __restrict__ bias,                 \
         const float* __restrict__ aux, int epilogue, int splits, float* __restrict__ partials)                        \
    {                                                                                                                   \
        gemm_transposed<a_m_major, b_n_major>(map_a, map_b, M, N, K, batch, alpha, a_items, b_items,                     \
                                              beta, C, ldc, stride_c, bias, aux, epilogue, splits, partials);           \
    }

TRANSPOSED_ENTRY(gemm_wgmma_tf32_nn, false, true)
TRANSPOSED_ENTRY(gemm_wgmma_tf32_tn, true, true)
TRANSPOSED_ENTRY(gemm_wgmma_tf32_tt, true, false)
