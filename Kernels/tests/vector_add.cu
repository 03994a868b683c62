// CPU twin: none (the test computes the reference)
// Tests: Tests/CudaBert.Tests/CudaDevice/VectorAddTests.cs
// Benchmark: none (a device feature test, not timed)

// Vector add: c[i] = a[i] + b[i].
//
// The simplest mapping of threads to data: one thread per element. The launch covers n with
// ceil(n / blockDim.x) blocks, so the last block may have threads past the end; they do nothing.
//
//   element i  <-  thread threadIdx.x of block blockIdx.x,  i = blockIdx.x * blockDim.x + threadIdx.x

extern "C" __global__ void vector_add(const float* a, const float* b, float* c, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        c[i] = a[i] + b[i];
}
