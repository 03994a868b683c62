// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmWgmmaKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperGemmKernels.cs (used by GemmKernels.Run on compute capability 9.x;
// the benchmark's "GEMM TF32 wgmma" rows time it there)
//
// Hopper's tensor-core GEMM in TF32 for the layout of a linear layer, Y = X·Wᵀ: for each batch
// item b
//
//   C_b = alpha · A_b · B_bᵀ + beta · C_b   [+ bias]   [then GELU]
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
// Shared-memory layout: the 128-byte swizzle of the PTX ISA ("Shared Memory Matrix Layout",
// swizzling modes), written by the copy engine (the tensor map says so) and read by wgmma (the
// descriptor says so). Each row of a slice is 128 contiguous bytes; 8 rows form a 1024-byte "atom",
// and inside an atom the 16-byte chunk c of row r is stored at chunk position c ^ r. The XOR spreads
// the 8 chunks of a column over all 32 banks, so the tensor cores' reads are free of bank conflicts.
// The swizzle is a function of address bits 7..9 (the row in the atom), so each buffer starts on a
// 1024-byte boundary.
//
// Epilogue (alpha, beta·C, bias, GELU as gemm_tf32.cu) straight from the accumulators; each lane
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

#define EPILOGUE_NONE 0
#define EPILOGUE_BIAS 1
#define EPILOGUE_BIAS_GELU 2

// CUtensorMap: 128 opaque bytes, 64-byte aligned (cuda.h's type, which NVRTC does not include).
struct __align__(64) TensorMap { unsigned long long opaque[16]; };

__device__ __forceinline__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

__device__ __forceinline__ float gelu_erf(float x) { return x * 0.5f * (1.0f + erff(x * 0.70710678118654752f)); }

// The 64-bit wgmma matrix descriptor (PTX ISA, "Matrix Descriptor Format"):
//   bits  0..13  start address in shared memory, >> 4
//   bits 16..29  leading-dimension byte offset, >> 4 (between core matrices along K: unused when one
//                k8 step of TF32, 32 bytes, lies inside one 128-byte swizzled row; set to 1 as usual)
//   bits 32..45  stride-dimension byte offset, >> 4 (between 8-row groups along M or N: 1024 bytes)
//   bits 49..51  matrix base offset (0: every buffer starts on a 1024-byte boundary)
//   bits 62..63  swizzle mode: 1 = 128-byte swizzle
__device__ __forceinline__ unsigned long long make_descriptor(unsigned address)
{
    return (unsigned long long)((address & 0x3FFFF) >> 4)
         | (1ull << 16)
         | ((unsigned long long)(1024 >> 4) << 32)
         | (1ull << 62);
}

__device__ __forceinline__ void barrier_init(unsigned barrier, unsigned arrivals)
{
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" :: "r"(barrier), "r"(arrivals) : "memory");
}

__device__ __forceinline__ void barrier_arrive(unsigned barrier)
{
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" :: "r"(barrier) : "memory");
}

// Arrives and announces `bytes` of transactions: the phase completes when they have landed too.
__device__ __forceinline__ void barrier_arrive_expect_bytes(unsigned barrier, unsigned bytes)
{
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" :: "r"(barrier), "r"(bytes) : "memory");
}

// Returns once the barrier's phase of parity `parity` has completed (try_wait may give up after a
// time-out; the loop asks again).
__device__ __forceinline__ void barrier_wait(unsigned barrier, unsigned parity)
{
    unsigned done;
    do {
        asm volatile("{\n.reg .pred complete;\n"
                     "mbarrier.try_wait.parity.shared::cta.b64 complete, [%1], %2;\n"
                     "selp.u32 %0, 1, 0, complete;\n}\n"
                     : "=r"(done) : "r"(barrier), "r"(parity) : "memory");
    } while (!done);
}

// The box of `map` at (k, row, item) into shared memory at `destination`, counted off `barrier`'s
// transactions when it has landed. The map is a __grid_constant__ parameter: its generic address.
__device__ __forceinline__ void tensor_load(unsigned destination, const TensorMap* map, int k, int row, int item, unsigned barrier)
{
    asm volatile("cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];"
                 :: "r"(destination), "l"(reinterpret_cast<unsigned long long>(map)), "r"(k), "r"(row), "r"(item), "r"(barrier)
                 : "memory");
}

// True in one lane of the (fully active) warp.
__device__ __forceinline__ bool elect_one()
{
    unsigned elected;
    asm volatile("{\n.reg .pred leader;\nelect.sync _|leader, 0xffffffff;\nselp.u32 %0, 1, 0, leader;\n}\n" : "=r"(elected));
    return elected != 0;
}

// One k8 step: acc += A(64×8 at a) · B(128×8 at b)ᵀ, both described by swizzled descriptors.
__device__ __forceinline__ void wgmma_m64n128k8(float (&d)[64], unsigned long long a, unsigned long long b)
{
    // scale-d is a predicate (true: D = A·B + D, false: D = A·B); imm-scale-a, imm-scale-b = 1: no negation.
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "%64, %65, accumulate, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(a), "l"(b), "r"(1));
}

// map_a: A as K × M × a_items floats (innermost first), box 32 × 128 × 1; map_b: B as K × N × b_items.
// A batch item b reads item b mod a_items of A (a_items is 1 when every item shares one A) and likewise B.
// The grid is persistent (see "Tile order" above): block i computes tiles i, i + gridDim.x, ...
extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_wgmma_tf32_nt(const __grid_constant__ TensorMap map_a, const __grid_constant__ TensorMap map_b,
                   int M, int N, int K, int batch, float alpha, int a_items, int b_items,
                   float beta, float* __restrict__ C, int ldc, long long stride_c,
                   const float* __restrict__ bias, int epilogue)
{
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
                    tensor_load(buffer, &map_a, slice * BK, m0, item % a_items, filled);
                    tensor_load(buffer + A_STAGE_BYTES, &map_b, slice * BK, n0, item % b_items, filled);
                }
            }
        }
        return;
    }

    int consumer = threadIdx.x / WARPGROUP;
    int warp = threadIdx.x % WARPGROUP / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
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

            unsigned a_tile = base + s * STAGE_BYTES + consumer * (BM / CONSUMERS) * ROW_BYTES;
            unsigned b_tile = base + s * STAGE_BYTES + A_STAGE_BYTES;
            asm volatile("wgmma.fence.sync.aligned;" ::: "memory");   // accumulators written before are ordered before
            #pragma unroll
            for (int step = 0; step < BK / 8; ++step)                 // k8 steps: 32 bytes further along each row
                wgmma_m64n128k8(acc, make_descriptor(a_tile + 32 * step), make_descriptor(b_tile + 32 * step));
            asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
            // Slice's products stay in flight; those of slice - 1 are done, so its buffer can be refilled.
            asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");
            if (slice > 0 && releaser) barrier_arrive(shared_address(&empty[(fill - 1) % STAGES]));
        }
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");   // the last slice's products
        if (releaser) barrier_arrive(shared_address(&empty[(fill - 1) % STAGES]));

        // The epilogue; meanwhile the producer already loads the next tile's first slices.
        float* c_item = C + item * stride_c;
        #pragma unroll
        for (int half = 0; half < 2; ++half) {
            int m = m0 + consumer * (BM / CONSUMERS) + 16 * warp + group + 8 * half;
            if (m >= M) continue;
            float* row = c_item + (long long)m * ldc;
            #pragma unroll
            for (int j = 0; j < BN / 8; ++j) {
                #pragma unroll
                for (int e = 0; e < 2; ++e) {
                    int n = n0 + 8 * j + 2 * t + e;
                    if (n >= N) continue;
                    float x = alpha * acc[4 * j + 2 * half + e];
                    if (beta != 0.0f) x = fmaf(beta, row[n], x);
                    if (epilogue != EPILOGUE_NONE) x += bias[n];
                    if (epilogue == EPILOGUE_BIAS_GELU) x = gelu_erf(x);
                    row[n] = x;
                }
            }
        }
    }
}
