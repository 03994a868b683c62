// What Hopper's TF32 GEMMs share (a header: included, not compiled alone): the wgmma matrix descriptor
// of a 128-byte-swizzled operand, the m64n128k8 multiply and the epilogue of a 128×128 tile (the
// tensor map, the mbarriers and the TMA copy of the full/empty ring are in wgmma_pipeline.cuh).
// Included by gemm_wgmma_tf32.cu (X·Wᵀ, both operands K-major as stored) and
// gemm_wgmma_tf32_transposed.cu (the layouts with an M- or N-major operand, transposed on chip); their
// header comments explain the ring.

#pragma once

#include "../bert/gemm_epilogue.cuh"
#include "wgmma_pipeline.cuh"

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

// The epilogue of a 128×128 tile at (m0, n0) of C_item, straight from the accumulators of consumer
// warpgroup `consumer` (rows 64·consumer .. + 63; the thread-to-data map of the kernels' header
// comments): C = alpha·acc + beta·C, then the epilogue (gemm_epilogue.cuh; aux_item laid out like C_item),
// each lane writing pairs of consecutive columns.
__device__ __forceinline__ void store_tile(const float (&acc)[64], float* c_item, int ldc, int M, int N, int m0, int n0,
                                           int consumer, float alpha, float beta, const float* bias, const float* aux_item,
                                           int epilogue)
{
    int warp = threadIdx.x % 128 / 32, lane = threadIdx.x % 32, group = lane / 4, t = lane % 4;
    #pragma unroll
    for (int half = 0; half < 2; ++half) {
        int m = m0 + consumer * 64 + 16 * warp + group + 8 * half;
        if (m >= M) continue;
        float* row = c_item + (long long)m * ldc;
        const float* aux_row = aux_item + (long long)m * ldc;
        #pragma unroll
        for (int j = 0; j < 16; ++j) {
            #pragma unroll
            for (int e = 0; e < 2; ++e) {
                int n = n0 + 8 * j + 2 * t + e;
                if (n >= N) continue;
                float x = alpha * acc[4 * j + 2 * half + e];
                if (beta != 0.0f) x = fmaf(beta, row[n], x);
                row[n] = gemm_epilogue(x, epilogue, bias, n, aux_row + n);
            }
        }
    }
}

// Split-K. The persistent grid walks work units, not tiles: unit u is tile u mod tiles (numbered as
// the kernels' "Tile order" says) over the K slices of split u / tiles, one of `splits` runs of
// ⌈slices / splits⌉ slices (the last one may be shorter; the launcher picks splits so none is empty).
// The units of one split are consecutive, so the blocks running at one time keep the tile order's L2
// reuse. With splits = 1 a unit is a tile over all of K: the kernels as they are without split-K.
struct WorkUnit { int m0, n0, item, split, first_slice, end_slice; };

__device__ __forceinline__ WorkUnit work_unit(int unit, int row_tiles, int column_tiles, int tiles, int slices, int splits)
{
    int tile = unit % tiles, per_split = (slices + splits - 1) / splits;
    WorkUnit w;
    w.m0 = tile % row_tiles * BM;
    w.n0 = tile / row_tiles % column_tiles * BN;
    w.item = tile / (row_tiles * column_tiles);
    w.split = unit / tiles;
    w.first_slice = w.split * per_split;
    w.end_slice = min(slices, w.first_slice + per_split);
    return w;
}

// A work unit's result. splits = 1: the epilogue into C (store_tile). splits > 1: the raw sum over
// the unit's K-range, unscaled, into its split's slab of `partials` — splits slabs of batch × M × N
// floats, each item M × N row-major — where the kernel gemm_splitk_sum.cu adds the slabs in split
// order 0 .. splits − 1 and applies the epilogue. No atomics: every partial element has one writer,
// and the fixed order of the sum makes the result the same bits on every run.
__device__ __forceinline__ void store_unit(const float (&acc)[64], const WorkUnit& w, int splits, float* partials,
                                           float* C, int ldc, long long stride_c, int M, int N, int batch, int consumer,
                                           float alpha, float beta, const float* bias, const float* aux, int epilogue)
{
    if (splits == 1)
        store_tile(acc, C + w.item * stride_c, ldc, M, N, w.m0, w.n0, consumer, alpha, beta, bias, aux + w.item * stride_c, epilogue);
    else
        store_tile(acc, partials + ((long long)w.split * batch + w.item) * M * N, N, M, N, w.m0, w.n0, consumer,
                   1.0f, 0.0f, nullptr, nullptr, EPILOGUE_NONE);
}
