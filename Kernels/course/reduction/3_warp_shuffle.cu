// CPU twin: Engine/Cpu/CpuBackend.Reduction.cs
// Tests: Tests/CudaBert.Tests/Course/SumCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Sum of a float array, step 3 of the course: grid-stride accumulation, then warp shuffles.
//
//   partial[b] = sum of the elements block b visits; a second launch with one block adds the partials.
//
// What changed from step 2 (2_shared_tree.cu):
//   1. The grid is sized to the machine (a few blocks per SM), not to n: each thread walks the array in
//      steps of the whole grid (i = g, g + G, g + 2G, ... with G the number of threads in the grid) and
//      adds into a register. Most additions happen there, with no synchronisation at all; loads stay
//      coalesced (neighbouring threads read neighbouring elements at every step).
//   2. The block's threads are combined by __shfl_xor_sync inside each warp (registers to registers,
//      no shared memory, no barrier), then lane 0 of each warp writes one value to shared memory and a
//      single barrier lets thread 0 add the (at most 32) warp sums.
//   Two launches always suffice: G partials, then one block over them.
// The backend's sum (Kernels/bert/sum.cu) is this algorithm accumulating in double (the CPU backend's
// precision): the float result is then the same whatever the order of the additions.
//
// Thread-to-data mapping: thread g = blockIdx.x · blockDim.x + threadIdx.x adds x[g], x[g + G], ...
// blockDim.x must be a multiple of 32 (at most 1024).

extern "C" __global__ void sum_warp_shuffle(const float* x, int n, float* partial)
{
    __shared__ float warp_sums[32];
    float v = 0.0f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        v += x[i];
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        float total = 0.0f;
        for (unsigned w = 0; w < blockDim.x / 32; ++w) total += warp_sums[w];
        partial[blockIdx.x] = total;
    }
}
