// What the Hopper fused-attention kernels share (a header: included, not compiled alone): bfloat16 tiles of 64
// rows in swizzled shared memory, their wgmma descriptors, and the two wgmma shapes. The layouts, the swizzle and
// the fragment maps are drawn at the top of flash_attention_wgmma.cu (the forward); the backward,
// flash_attention_wgmma_backward.cu, uses the same tiles and products with other operands in the roles.

#pragma once

#include "../bert/flash_attention.cuh"
#include "../bert/flash_attention_softmax.cuh"

#define WG_THREADS 128     // one warpgroup per block
#define WG_TILE_ROWS 64    // rows of every tile: the wgmma M, and the N or K of the other operand

__device__ __forceinline__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

// Byte offset of element (row, col) in a swizzled tile of rows of W = 2D bytes (see flash_attention_wgmma.cu).
template <int D>
__device__ __forceinline__ unsigned swizzled(int row, int col)
{
    constexpr unsigned W = 2 * D;
    unsigned offset = row * W + 2 * col;
    return offset ^ (((offset >> 7) & (W / 16 - 1)) << 4);
}

// The descriptor of a tile's operand starting at `address` (shared window): W-byte swizzle, SBO = 8·W.
template <int D>
__device__ __forceinline__ unsigned long long descriptor(unsigned address)
{
    constexpr unsigned W = 2 * D;
    constexpr unsigned long long SWIZZLE = W == 128 ? 1 : 2;
    return (unsigned long long)((address & 0x3FFFF) >> 4)
         | (1ull << 16)
         | ((unsigned long long)((8 * W) >> 4) << 32)
         | (SWIZZLE << 62);
}

// Rows [first, first + count) of head h of batch element b ([B, S, H·D], float32) into a 64-row tile, rounded
// to bfloat16 and swizzled; rows ≥ count are zero. Each thread converts 16-byte chunks of 8 elements (two
// float4 loads, one 16-byte store); D/8 consecutive threads read one row.
template <int D>
__device__ __forceinline__ void load_tile(unsigned char* tile, const float* x, int b, int h, int s, int heads, int first, int count)
{
    constexpr int CHUNKS = D / 8;
    for (int e = threadIdx.x; e < WG_TILE_ROWS * CHUNKS; e += WG_THREADS) {
        int r = e / CHUNKS, c = 8 * (e % CHUNKS);
        uint4 packed = make_uint4(0u, 0u, 0u, 0u);
        if (r < count) {
            const float* source = x + row_start<D>(b, h, s, heads, first + r) + c;
            float4 lo = *reinterpret_cast<const float4*>(source), hi = *reinterpret_cast<const float4*>(source + 4);
            packed = make_uint4(to_bf16_pair(lo.x, lo.y), to_bf16_pair(lo.z, lo.w), to_bf16_pair(hi.x, hi.y), to_bf16_pair(hi.z, hi.w));
        }
        *reinterpret_cast<uint4*>(tile + swizzled<D>(r, c)) = packed;
    }
}

// Tells the compiler that the asynchronous product has written x here (after wgmma.wait_group): without it,
// code reading an accumulator could be scheduled before the wait.
__device__ __forceinline__ void retire(float& x) { asm volatile("" : "+f"(x) :: "memory"); }

// S += Q·Kᵀ over one k16 step (accumulate = 0: S = Q·Kᵀ): m64n64k16, both operands K-major in shared memory.
// The backward's dP = dO·Vᵀ, Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ are the same product on other tiles.
__device__ __forceinline__ void wgmma_scores(float (&d)[32], unsigned long long q, unsigned long long k, int accumulate)
{
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "%32, %33, accumulate, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(q), "l"(k), "r"(accumulate));
}

// O += P·V over one k16 step of keys: P from registers, V N-major in shared memory (imm-trans-b = 1); N = D.
// The backward's dQ += dS·K, dV += Pᵀ·dO and dK += dSᵀ·Q are the same product on other operands.
template <int D>
__device__ __forceinline__ void wgmma_output(float (&d)[D / 2], const unsigned (&p)[4], unsigned long long v);

template <>
__device__ __forceinline__ void wgmma_output<64>(float (&d)[32], const unsigned (&p)[4], unsigned long long v)
{
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "{%32, %33, %34, %35}, %36, accumulate, 1, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "r"(p[0]), "r"(p[1]), "r"(p[2]), "r"(p[3]), "l"(v), "r"(1));
}

template <>
__device__ __forceinline__ void wgmma_output<32>(float (&d)[16], const unsigned (&p)[4], unsigned long long v)
{
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %21, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, "
        "{%16, %17, %18, %19}, %20, accumulate, 1, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
        : "r"(p[0]), "r"(p[1]), "r"(p[2]), "r"(p[3]), "l"(v), "r"(1));
}
