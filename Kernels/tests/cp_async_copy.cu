// CPU twin: none (the test computes the reference)
// Tests: Tests/CudaBert.Tests/CudaDevice/CpAsyncCopyTests.cs, Tests/CudaBert.Tests/SoftwareGpu/SharedMemoryOptInTests.cs
// Benchmark: none (a device feature test, not timed)

// Pipelined copy through shared memory with cp.async (Ampere's asynchronous global -> shared copy).
//
// out = in with the 16-byte chunks of every tile in reverse order. The data are `tiles` tiles of
// blockDim.x chunks of 16 bytes (4 floats); tile i of in becomes tile i of out, with
//   out chunk c of the tile = in chunk (blockDim.x - 1 - c) of the tile.
// The reversal makes every thread read a chunk that ANOTHER thread copied, so the barriers below
// are needed (a plain copy would hide a missing one).
//
// Thread-to-data mapping: block b handles tiles b, b + gridDim.x, ...; thread t copies chunk t of a
// tile into shared memory, and later writes chunk t of the output tile.
//
// Double buffering: while the block reads tile i from one stage buffer, the copy of its next tile
// into the other buffer is already in flight.
//   cp.async.cg.shared.global [dst], [src], 16   -- start a 16-byte copy, do not wait
//   cp.async.commit_group                          -- close the group of copies started so far
//   cp.async.wait_group 1                          -- wait until at most 1 group is still in flight
// wait_group only covers the calling thread's own copies: the __syncthreads() after it makes every
// thread's chunk of the tile visible to the whole block.
// Dynamic shared memory: 2 * blockDim.x * 16 bytes.

__device__ unsigned shared_address(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

__device__ void copy_chunk_async(float4* shared_dst, const float4* global_src)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" :: "r"(shared_address(shared_dst)), "l"(global_src));
}

__device__ void commit_copies() { asm volatile("cp.async.commit_group;"); }
__device__ void wait_all_but_newest_group() { asm volatile("cp.async.wait_group 1;"); }

extern "C" __global__ void cp_async_copy(const float4* in, float4* out, int tiles)
{
    extern __shared__ float4 stage[];           // [2][blockDim.x]
    unsigned chunks = blockDim.x, t = threadIdx.x;

    int tile = blockIdx.x;
    if (tile < tiles)
        copy_chunk_async(&stage[t], &in[(long long)tile * chunks + t]);
    commit_copies();

    for (int buffer = 0; tile < tiles; tile += gridDim.x, buffer ^= 1) {
        int next = tile + gridDim.x;
        if (next < tiles)                        // prefetch into the other buffer
            copy_chunk_async(&stage[(buffer ^ 1) * chunks + t], &in[(long long)next * chunks + t]);
        commit_copies();                         // possibly empty group: keeps the counting simple
        wait_all_but_newest_group();             // this thread's copy of `tile` has landed
        __syncthreads();                         // ... and so has every other thread's

        out[(long long)tile * chunks + t] = stage[buffer * chunks + (chunks - 1 - t)];
        __syncthreads();                         // reads done before this buffer is refilled
    }
}
