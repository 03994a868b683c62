// The pieces of Hopper's warp-specialised GEMM pipeline (a header: included, not compiled alone): the
// tensor map type, the mbarrier operations of the full/empty ring, the TMA tensor copy that fills it and
// the election of the producer warp's one issuing lane. Shared by gemm_wgmma_tf32.cu,
// gemm_wgmma_tf32_transposed.cu (through wgmma_tf32.cuh) and gemm_wgmma_bf16.cu; their header comments
// explain the ring.

#pragma once

// CUtensorMap: 128 opaque bytes, 64-byte aligned (cuda.h's type, which NVRTC does not include).
struct __align__(64) TensorMap { unsigned long long opaque[16]; };

__device__ __forceinline__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

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

// The box of `map` at coordinates (inner, outer, item), innermost dimension first (k, row for a K-major
// operand; column, k for an M/N-major one), into shared memory at `destination`, counted off `barrier`'s
// transactions when it has landed. The map is a __grid_constant__ parameter: its generic address.
__device__ __forceinline__ void tensor_load(unsigned destination, const TensorMap* map, int inner, int outer, int item, unsigned barrier)
{
    asm volatile("cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];"
                 :: "r"(destination), "l"(reinterpret_cast<unsigned long long>(map)), "r"(inner), "r"(outer), "r"(item), "r"(barrier)
                 : "memory");
}

// True in one lane of the (fully active) warp.
__device__ __forceinline__ bool elect_one()
{
    unsigned elected;
    asm volatile("{\n.reg .pred leader;\nelect.sync _|leader, 0xffffffff;\nselp.u32 %0, 1, 0, leader;\n}\n" : "=r"(elected));
    return elected != 0;
}
