// CPU twin: Engine/Cpu/CpuBackend.Reduction.cs
// Tests: Tests/CudaBert.Tests/Course/SumCourseTests.cs, Tests/CudaBert.Tests/CudaDevice/BlockReduceTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Sum of a float array, step 2 of the course: a tree in shared memory per block.
//
//   partial[b] = sum of the elements block b covers; launched again on the partials (and again, ...)
//   until one value is left, which is the total.
//
// What changed from step 1 (1_atomic.cu): no atomics. A block adds its 2 · blockDim.x elements in
// log2(blockDim.x) + 1 parallel steps instead of one after another, and a grid of G blocks leaves G
// partials for the next launch. The order of additions is fixed: the result is reproducible.
// What still limits it: half of the threads idle from the first step of the tree on, each step costs a
// barrier, and each thread adds only two elements before the tree starts. Step 3 lets every thread
// sum many elements in a register first and does the last levels with warp shuffles.
//
// Each block sums 2 * blockDim.x consecutive elements of x (each thread loads two, a first
// addition for free), then halves the number of active threads at every step of a tree:
//
//   step s (s = blockDim.x/2, blockDim.x/4, ..., 1): thread t < s adds sums[t + s] into sums[t]
//
// A __syncthreads() separates the steps: a thread must not read sums[t + s] before the thread
// that owns it has written it. blockDim.x must be a power of two; the shared array is dynamic
// (its size, blockDim.x floats, is given at launch).

extern "C" __global__ void block_reduce_sum(const float* x, float* partial, int n)
{
    extern __shared__ float sums[];
    unsigned t = threadIdx.x;
    int i = blockIdx.x * (2 * blockDim.x) + t;

    float v = 0.0f;
    if (i < n) v += x[i];
    if (i + (int)blockDim.x < n) v += x[i + blockDim.x];
    sums[t] = v;
    __syncthreads();

    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            sums[t] += sums[t + s];
        __syncthreads();
    }
    if (t == 0)
        partial[blockIdx.x] = sums[0];
}
