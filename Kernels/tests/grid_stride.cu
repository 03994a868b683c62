// CPU twin: none (the test computes the reference)
// Tests: Tests/CudaBert.Tests/CudaDevice/GridStrideTests.cs
// Benchmark: none (a device feature test, not timed)

// Grid-stride loop: y[i] = alpha * x[i] + y[i] (saxpy) for any n, with a fixed-size grid.
//
// Instead of one thread per element, the grid is sized to the machine (a few blocks per SM) and
// every thread walks the array in steps of the whole grid's width:
//
//   thread t (t = blockIdx.x * blockDim.x + threadIdx.x) handles i = t, t + stride, t + 2*stride, ...
//   where stride = gridDim.x * blockDim.x.
//
// Neighbouring threads still touch neighbouring elements in each step, so loads stay coalesced.
// 64-bit indices: the loop must not overflow for arrays of more than 2^31 elements.

extern "C" __global__ void saxpy_grid_stride(long long n, float alpha, const float* x, float* y)
{
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        y[i] = alpha * x[i] + y[i];
}
