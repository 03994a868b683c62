// CPU twin: none (a deliberate bug for the sanitizer)
// Tests: Tests/CudaBert.Tests/SoftwareGpu/SanitizerTests.cs
// Benchmark: none (a deliberate bug, not timed)

// PLANTED BUG (sanitizer test): an off-by-one bounds check. y[i] = 2 * x[i] for i < n, but the
// guard says i <= n, so the thread with i == n reads x[n] and writes y[n], one element past the
// end of both arrays. The software GPU's sanitizer must report the access with kernel, PTX line,
// block and thread. Launch with more than n threads.

extern "C" __global__ void out_of_bounds_write(const float* x, float* y, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= n)                                  // BUG: must be i < n
        y[i] = 2.0f * x[i];
}
