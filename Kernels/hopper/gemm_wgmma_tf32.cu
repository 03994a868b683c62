// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmWgmmaKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperGemmKernels.cs (used by GemmKernels.Run on compute capability 9.x;
// the benchmark's "GEMM TF32 wgmma" rows time it there)
//
// Hopper's tensor-core GEMM in TF32 for the layout of a linear layer, Y = X·Wᵀ: for each batch b
// (blockIdx.z)
//
//   C_b = alpha · A_b · B_bᵀ + beta · C_b   [+ bias]   [then GELU]
//
// with A (M×K) and B (N×K) both row-major ("k-major": K is the contiguous dimension), as
// gemm_tf32.cu's "nt" kernel. Same requirements as gemm_tf32.cu: lda, ldb and the batch strides are
// multiples of 4 floats and A, B are 16-byte aligned (the launcher checks).
//
// Compiled for compute_90a (Kernels/hopper/ → Kernels/ptx/hopper/): wgmma exists only on sm_90a.
//
// The instruction: wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 (PTX ISA 8.4, "Asynchronous
// Warpgroup Level Matrix Multiply-Accumulate"). A warpgroup (4 consecutive warps, 128 threads)
// multiplies a 64×8 tile of A by an 8×128 tile of Bᵀ into 64×128 fp32 accumulators spread over its
// registers. Unlike mma.sync the operands are not in registers: each is described by a 64-bit
// "matrix descriptor" that points into shared memory (see make_descriptor). The instruction only
// starts the product; wgmma.commit_group closes a group of them and wgmma.wait_group N waits until
// at most N groups are still running. TF32 operands are the fp32 bits in shared memory: the tensor
// cores read only the top 19 (sign, exponent, 10 mantissa bits), i.e. they truncate.
//
// Tiles. One block = one warpgroup = a 64 (m) × 128 (n) tile of C; 64 accumulators per thread.
// Accumulator layout (PTX ISA, "Matrix fragments for wgmma.m64nNk8", f32 D), lane = 4·group + t,
// warp w of the warpgroup owns rows 16w .. 16w + 15:
//   acc[4j + 0], acc[4j + 1] = C[16w + group][8j + 2t, 8j + 2t + 1]
//   acc[4j + 2], acc[4j + 3] = C[16w + group + 8][8j + 2t, 8j + 2t + 1]      (j = 0 .. 15)
//
// Pipeline. K is walked BK = 32 floats (128 bytes) at a time through STAGES = 3 shared-memory
// buffers filled by cp.async, as in gemm_tf32.cu: while the warpgroup multiplies slice k (4 wgmma
// of k8, one commit group), the copies of slice k + 1 are in flight and those of slice k + 2 are
// issued. Per slice: each thread waits for its own copies of the slice (cp.async.wait_group), makes
// them visible to the tensor cores' "async proxy" (fence.proxy.async: cp.async writes through the
// ordinary, "generic", proxy; wgmma reads through the async one), then a barrier makes every thread's
// copies visible to all; the slice's wgmma are issued, and wgmma.wait_group 1 waits for the previous
// slice's group only, so the tensor cores are never idle while the next copies are issued into the
// buffer that group read.
//
// Shared-memory layout: the 128-byte swizzle of the PTX ISA ("Shared Memory Matrix Layout",
// swizzling modes). Each row of a slice (32 floats of one row of A or B) is 128 contiguous bytes; 8
// rows form a 1024-byte "atom", and inside an atom the 16-byte chunk c of row r is stored at chunk
// position c ^ r. The XOR spreads the 8 chunks of a column over all 32 banks, so both the
// cp.async writes (8 threads per row: one 128-byte global segment each) and the tensor cores'
// reads are free of bank conflicts. The swizzle is a function of address bits 7..9 (the row in the
// atom), so each stage buffer starts on a 1024-byte boundary.
//
// Edges: chunks partly or wholly outside the matrix are copied with cp.async's src-size operand
// (only the valid bytes are read, the rest is zero-filled), so padding adds 0 to every product.
//
// Epilogue (alpha, beta·C, bias, GELU as gemm_tf32.cu) straight from the accumulators; each lane
// writes pairs of consecutive columns.

#define BM 64
#define BN 128
#define BK 32
#define STAGES 3
#define THREADS 128
#define ROW_BYTES (BK * 4)                  // one slice row: 128 bytes = the swizzle width
#define A_STAGE_BYTES (BM * ROW_BYTES)      // 8 KB
#define B_STAGE_BYTES (BN * ROW_BYTES)      // 16 KB
#define STAGE_BYTES (A_STAGE_BYTES + B_STAGE_BYTES)
// The launcher asks for STAGES · STAGE_BYTES + 1024 bytes: the extra 1024 let the kernel round the
// dynamic shared memory's start up to the swizzle atom.

#define EPILOGUE_NONE 0
#define EPILOGUE_BIAS 1
#define EPILOGUE_BIAS_GELU 2

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

// Copies rows [row0, row0 + ROWS) × K slice [k0, k0 + BK) of a row-major matrix (rows < limit valid,
// K valid) into one swizzled stage buffer. 8 threads per row, chunk = 4 floats: ROWS · 8 / 128 chunks
// per thread.
template <int ROWS>
__device__ __forceinline__ void copy_slice(unsigned buffer, const float* matrix, int ld, int row0, int limit,
                                           int k0, int K)
{
    #pragma unroll
    for (int i = 0; i < ROWS * 8 / THREADS; ++i) {
        int id = threadIdx.x + THREADS * i;
        int r = id / 8, c = id % 8;                       // row in the slice, 16-byte chunk in the row
        int row = row0 + r, k = k0 + 4 * c;
        unsigned destination = buffer + r * ROW_BYTES + ((c ^ (r % 8)) * 16);
        int valid = (row < limit && k < K) ? min(4, K - k) * 4 : 0;
        const float* source = matrix + (long long)(valid > 0 ? row : 0) * ld + (valid > 0 ? k : 0);
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(destination), "l"(source), "r"(valid));
    }
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

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_wgmma_tf32_nt(int M, int N, int K, float alpha,
                   const float* __restrict__ A, int lda, long long stride_a,
                   const float* __restrict__ B, int ldb, long long stride_b,
                   float beta, float* __restrict__ C, int ldc, long long stride_c,
                   const float* __restrict__ bias, int epilogue)
{
    extern __shared__ unsigned char dynamic_shared[];
    unsigned base = (shared_address(dynamic_shared) + 1023) & ~1023u;   // the swizzle atom's alignment

    A += blockIdx.z * stride_a;
    B += blockIdx.z * stride_b;
    C += blockIdx.z * stride_c;
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    int slices = (K + BK - 1) / BK;

    float acc[64];
    #pragma unroll
    for (int i = 0; i < 64; ++i) acc[i] = 0.0f;

    // Prologue: slices 0 .. STAGES - 2 in flight, one commit group each (empty past the end).
    #pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < slices) {
            copy_slice<BM>(base + s * STAGE_BYTES, A, lda, m0, M, s * BK, K);
            copy_slice<BN>(base + s * STAGE_BYTES + A_STAGE_BYTES, B, ldb, n0, N, s * BK, K);
        }
        asm volatile("cp.async.commit_group;");
    }

    for (int slice = 0; slice < slices; ++slice) {
        asm volatile("cp.async.wait_group %0;" :: "n"(STAGES - 2));   // this thread's copies of `slice` landed
        asm volatile("fence.proxy.async.shared::cta;");               // ... and are visible to wgmma
        __syncthreads();                                               // ... for every thread's copies

        unsigned a_tile = base + (slice % STAGES) * STAGE_BYTES, b_tile = a_tile + A_STAGE_BYTES;
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");   // accumulators written before are ordered before
        #pragma unroll
        for (int step = 0; step < BK / 8; ++step)                 // k8 steps: 32 bytes further along each row
            wgmma_m64n128k8(acc, make_descriptor(a_tile + 32 * step), make_descriptor(b_tile + 32 * step));
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
        // Slice's products stay in flight; those of slice - 1 are done, so its buffer can be refilled.
        asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");

        int next = slice + STAGES - 1;                             // (next % STAGES) is slice - 1's buffer
        if (next < slices) {
            unsigned buffer = base + (next % STAGES) * STAGE_BYTES;
            copy_slice<BM>(buffer, A, lda, m0, M, next * BK, K);
            copy_slice<BN>(buffer + A_STAGE_BYTES, B, ldb, n0, N, next * BK, K);
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
        float* row = C + (long long)m * ldc;
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
