// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmWgmmaKernelTests.cs, Tests/CudaBert.Tests/BertKernels/GemmGeluDerivativeEpilogueTests.cs, Tests/CudaBert.Tests/BertKernels/GemmWgmmaSplitKTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperGemmKernels.cs (used by GemmKernels.Run on compute capability 9.x;
// the benchmark's "GEMM TF32 wgmma" rows time it there)
//
// Hopper's tensor-core GEMM in TF32 for the layout of a linear layer, Y = X·Wᵀ: for each batch
// item b
//
//   C_b = alpha · A_b · B_bᵀ + beta · C_b   [+ bias]   [then GELU]
//   or  C_b = alpha · A_b · B_bᵀ ⊙ GELU′(aux_b)              (beta = 0; aux laid out like C)
//
// with A (M×K) and B (N×K) both row-major ("k-major": K is the contiguous dimension), as
// gemm_tf32.cu's "nt" kernel. A and B are not passed as pointers but as tensor maps (see below), which
// the launcher encodes: 16-byte aligned, lda, ldb and the batch strides multiples of 4 floats.
//
// Compiled for compute_90a (Kernels/hopper/ → Kernels/ptx/hopper/): wgmma and the tensor copies exist
// only on sm_90a.
//
// The multiply: wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 (PTX ISA 8.4, "Asynchronous
// Warpgroup Level Matrix Multiply-Accumulate"). A warpgroup (4 consecutive warps, 128 threads)
// multiplies a 64×8 tile of A by an 8×128 tile of Bᵀ into 64×128 fp32 accumulators spread over its
// registers. The operands are not in registers: each is described by a 64-bit "matrix descriptor"
// that points into shared memory (see make_descriptor). The instruction only starts the product;
// wgmma.commit_group closes a group of them and wgmma.wait_group N waits until at most N groups are
// still running. TF32 operands are the fp32 bits in shared memory: the tensor cores read only the top
// 19 (sign, exponent, 10 mantissa bits), i.e. they truncate.
//
// The loads: the Tensor Memory Accelerator (TMA). A tensor map (CUtensorMap, 128 bytes made on the
// host by cuTensorMapEncodeTiled) describes a matrix in global memory — address, extents, row stride —
// and a box: here 32 floats of K by 128 rows, with the 128-byte swizzle. One thread issues
//   cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// with the box's coordinates (k, row, batch item), and the copy engine moves the whole 16 KB box into
// shared memory, already in the swizzled layout wgmma reads, without using any thread's registers or
// instructions. Rows or columns outside the matrix arrive as zeros, so ragged M, N, K need no code:
// padding adds 0 to every product. When the bytes have landed, the copy counts them off the
// "transaction count" of an mbarrier, which is how the consumers learn that a buffer is full.
//
// Warp specialisation. A block is 288 threads: two consumer warpgroups (threads 0 .. 255) and one
// producer warp (threads 256 .. 287). The producer does nothing but issue copies; the consumers do
// nothing but wait and multiply, so the loads of later slices run while the tensor cores work, with no
// thread of a consumer spending an instruction on them. (setmaxnreg, which moves registers from the
// producer to the consumers, is not needed: 64 accumulators per consumer thread fit the 224 registers
// a 288-thread block may use per thread.)
//
// Tiles and the thread-to-data map. One block = a 128 (m) × 128 (n) tile of C; K is walked BK = 32
// floats (128 bytes, the swizzle span) at a time. Consumer warpgroup g (0, 1) owns rows 64g .. 64g + 63
// of the tile, all 128 columns: 64 accumulators per thread. Inside the warpgroup, lane = 4·group + t of
// warp w (PTX ISA, "Matrix fragments for wgmma.m64nNk8", f32 D) holds
//   acc[4j + 0], acc[4j + 1] = C[64g + 16w + group][8j + 2t, 8j + 2t + 1]
//   acc[4j + 2], acc[4j + 3] = C[64g + 16w + group + 8][8j + 2t, 8j + 2t + 1]      (j = 0 .. 15)
//
// The ring. STAGES = 4 buffers, each a 128×32 slice of A (16 KB) and of B (16 KB), and per buffer s
// two mbarriers: full[s] (1 arrival: the producer's arrive.expect_tx, plus 32 KB of transactions: the
// two copies) and empty[s] (2 arrivals: one thread of each consumer warpgroup). Slice i uses buffer
// s = i mod STAGES in round r = i / STAGES; a barrier's phases complete once per round, and a wait
// names the parity of the phase it waits for (try_wait.parity p returns once the phase of parity p
// has completed; on a fresh barrier the phase "before 0", of parity 1, counts as completed).
//
//   producer, slice i:   wait empty[s] parity (r & 1) ^ 1   (round 0 passes at once: buffers start empty;
//                                                            round r waits for the consumers' release in round r − 1)
//                        arrive.expect_tx full[s], 32 KB   (the phase now waits for the bytes)
//                        TMA A box → buffer s, TMA B box → buffer s, both completing on full[s]
//   consumers, slice i:  wait full[s] parity r & 1          (the bytes of round r have landed)
//                        4 wgmma k8 on buffer s, commit; wgmma.wait_group 1 (slice i − 1's group is done)
//                        arrive empty[(i − 1) mod STAGES]   (its buffer may be refilled)
//
// After a tile's last slice: wgmma.wait_group 0, then its buffer is released too. So up to STAGES
// slices are in flight ahead of the tensor cores, and the tensor cores always have the next group
// queued while the previous one is retired.
//
// Tile order (a persistent grid). The launcher starts one block per SM (fewer when there are fewer
// tiles), and block i computes tiles i, i + gridDim.x, i + 2·gridDim.x, ... The ring's slice count
// runs on across a block's tiles, so the producer loads the next tile while the consumers run the
// epilogue of this one. Tiles are numbered row tile fastest, then column tile, then batch item:
// the blocks running at one time cover all row tiles (of X) for a few column tiles (of W), so each
// W tile is read from memory once and then from L2 by the other blocks that need it. (BERT-base:
// X is 4096 × 768/3072, only 32 row tiles of 128; W has 6 to 24 column tiles.)
//
// Split-K. When the tiles leave SMs idle in the last wave, the launcher cuts each tile's K into
// `splits` ranges (its cost model: HopperGemmKernels.Splits) and the blocks walk work units — a tile
// over one K-range (work_unit in wgmma_tf32.cuh) — in place of tiles, the units of one split in the
// tile order above. Each unit then writes its raw partial sum to a workspace, and
// gemm_splitk_sum.cu adds the partials in split order and applies the epilogue: no atomics, the
// same bits on every run. With splits = 1 a unit is a whole tile and the kernel writes C itself.
//
// Shared-memory layout: the 128-byte swizzle of the PTX ISA ("Shared Memory Matrix Layout",
// swizzling modes), written by the copy engine (the tensor map says so) and read by wgmma (the
// descriptor says so). Each row of a slice is 128 contiguous bytes; 8 rows form a 1024-byte "atom",
// and inside an atom the 16-byte chunk c of row r is stored at chunk position c ^ r. The XOR spreads
// the 8 chunks of a column over all 32 banks, so the tensor cores' reads are free of bank conflicts.
// The swizzle is a function of address bits 7..9 (the row in the atom), so each buffer starts on a
// 1024-byte boundary.
//
// Epilogue (alpha, beta·C, bias, GELU as gemm_tf32.cu) straight from the accumulators (store_tile in
// wgmma_tf32.cuh, the helpers this kernel shares with gemm_wgmma_tf32_transposed.cu); each lane
// writes pairs of consecutive columns.

#define BM 128                              // tile rows: CONSUMERS warpgroups of 64
#define BN 128
#define BK 32
#define STAGES 4
#define CONSUMERS 2
#define WARPGROUP 128
#define THREADS (CONSUMERS * WARPGROUP + 32)   // + the producer warp
#define PRODUCER_WARP (CONSUMERS * WARPGROUP / 32)
#define ROW_BYTES (BK * 4)                  // one slice row: 128 bytes = the swizzle width
#define A_STAGE_BYTES (BM * ROW_BYTES)      // 16 KB
#define B_STAGE_BYTES (BN * ROW_BYTES)      // 16 KB
#define STAGE_BYTES (A_STAGE_BYTES + B_STAGE_BYTES)
// The launcher asks for STAGES · STAGE_BYTES + 1024 bytes: the extra 1024 let the kernel round the
// dynamic shared memory's start up to the swizzle atom.

#include "wgmma_tf32.cuh"

// map_a: A as K × M × a_items floats (innermost first), box 32 × 128 × 1; map_b: B as K × N × b_items.
// A batch item b reads item b mod a_items of A (a_items is 1 when every item shares one A) and likewise B.
// The grid is persistent (see "Tile order" above): block i computes work units i, i + gridDim.x, ...
// (wgmma_tf32.cuh's work_unit: a tile over one of `splits` K-ranges); with splits > 1 the units' raw
// sums go to `partials` (splits · batch · M · N floats) for gemm_splitk_sum.cu, else C is finished here.
extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_wgmma_tf32_nt(const __grid_constant__ TensorMap map_a, const __grid_constant__ TensorMap map_b,
                   int M, int N, int K, int batch, float alpha, int a_items, int b_items,
                   float beta, float* __restrict__ C, int ldc, long long stride_c,
                   const float* __restrict__ bias, const float* __restrict__ aux, int epilogue,
                   int splits, float* __restrict__ partials)
{
    extern __shared__ unsigned char dynamic_shared[];
    __shared__ __align__(8) unsigned long long full[STAGES], empty[STAGES];
    unsigned base = (shared_address(dynamic_shared) + 1023) & ~1023u;   // the swizzle atom's alignment
    int row_tiles = (M + BM - 1) / BM, column_tiles = (N + BN - 1) / BN;
    int tiles = row_tiles * column_tiles * batch, units = tiles * splits;
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
            for (int unit = blockIdx.x; unit < units; unit += gridDim.x) {
                WorkUnit w = work_unit(unit, row_tiles, column_tiles, tiles, slices, splits);
                int m0 = w.m0, n0 = w.n0, item = w.item;
                for (int slice = w.first_slice; slice < w.end_slice; ++slice, ++fill) {
                    int s = fill % STAGES;
                    barrier_wait(shared_address(&empty[s]), ((fill / STAGES) & 1) ^ 1);
                    unsigned filled = shared_address(&full[s]), buffer = base + s * STAGE_BYTES;
                    barrier_arrive_expect_bytes(filled, STAGE_BYTES);
                    tensor_load(buffer, &map_a, slice * BK, m0, item % a_items, filled);
                    tensor_load(buffer + A_STAGE_BYTES, &map_b, slice * BK, n0, item % b_items, filled);
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

            unsigned a_tile = base + s * STAGE_BYTES + consumer * (BM / CONSUMERS) * ROW_BYTES;
            unsigned b_tile = base + s * STAGE_BYTES + A_STAGE_BYTES;
            asm volatile("wgmma.fence.sync.aligned;" ::: "memory");   // accumulators written before are ordered before
            #pragma unroll
            for (int step = 0; step < BK / 8; ++step)                 // k8 steps: 32 bytes further along each row
                wgmma_m64n128k8(acc, make_descriptor(a_tile + 32 * step), make_descriptor(b_tile + 32 * step));
            asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
            // Slice's products stay in flight; those of slice - 1 are done, so its buffer can be refilled.
            asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");
            if (slice > w.first_slice && releaser) barrier_arrive(shared_address(&empty[(fill - 1) % STAGES]));
        }
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");   // the last slice's products
        if (releaser) barrier_arrive(shared_address(&empty[(fill - 1) % STAGES]));

        // The epilogue (or the partial sum); meanwhile the producer already loads the next unit's first slices.
        store_unit(acc, w, splits, partials, C, ldc, stride_c, M, N, batch, consumer, alpha, beta, bias, aux, epilogue);
    }
}
