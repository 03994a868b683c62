// CPU twin: none (the test computes the reference)
// Tests: Tests/CudaBert.Tests/CudaDevice/WarpReduceTests.cs
// Benchmark: none (a device feature test, not timed)

// Warp-level reduction with shuffles, no shared memory: out[w] = sum of x over the 32 elements of
// warp w, and positives[w] = how many of those 32 elements are > 0.
//
// Thread-to-data mapping: global thread i holds x[i]; warp w = i / 32 covers x[32w .. 32w+31].
// (n must be a multiple of 32 here, so every lane of every warp is active.)
//
// Butterfly sum: at each step every lane adds the value of the lane whose id differs in one bit
// (offset 16, 8, 4, 2, 1). After five steps all 32 lanes hold the full sum.
//
//   lane:    0  1  2 ... 15 | 16 17 ... 31
//   step 16: lane l adds lane l ^ 16, and so on down to offset 1.
//
// __ballot_sync gives one bit per lane where the predicate holds; its popcount is the count.

extern "C" __global__ void warp_reduce_sum(const float* x, float* out, int* positives, int n)
{
    const unsigned all_lanes = 0xffffffffu;
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;                   // whole warps only (n % 32 == 0)

    float v = x[i];
    unsigned positive_lanes = __ballot_sync(all_lanes, v > 0.0f);
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(all_lanes, v, offset);

    if ((threadIdx.x & 31) == 0) {        // lane 0 writes the warp's result
        out[i / 32] = v;
        positives[i / 32] = __popc(positive_lanes);
    }
}
