// CPU twin: none (a deliberate bug for the sanitizer)
// Tests: Tests/CudaBert.Tests/SoftwareGpu/SanitizerTests.cs
// Benchmark: none (a deliberate bug, not timed)

// PLANTED BUG (sanitizer test): the block reduction of tests/block_reduce.cu with the barrier
// inside the tree loop removed. In step s thread t reads sums[t + s], which thread t + s wrote in
// the previous step with no barrier in between: a read-after-write race on shared memory between
// two different threads. (On hardware the result is often right anyway, which is why such bugs
// survive: the sanitizer must report it.) blockDim.x is a power of two; dynamic shared memory
// holds blockDim.x floats.

extern "C" __global__ void shared_race(const float* x, float* partial)
{
    extern __shared__ float sums[];
    unsigned t = threadIdx.x;
    sums[t] = x[blockIdx.x * blockDim.x + t];
    __syncthreads();

    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            sums[t] += sums[t + s];
        // BUG: missing __syncthreads();
    }
    if (t == 0)
        partial[blockIdx.x] = sums[0];
}
