// CPU twin: Engine/Cpu/CpuBackend.Reduction.cs
// Tests: Tests/CudaBert.Tests/BertKernels/ReductionKernelTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Sum of a flat float32 buffer, total[0] = Σ x, accumulated in double and rounded to float once (as
// the CPU backend's Sum), deterministic in two passes without atomics:
//   1. sum_partial_f32: block b adds its grid-stride share → partial[b] (double).
//   2. sum_finish_f32: one block adds the partials in a fixed order and writes the float total.
// Thread-to-data mapping (pass 1): thread g of the grid handles elements g, g + G, ...; then a
// block reduction (warp shuffles, warps in order through shared memory).

#include "reduce.cuh"

extern "C" __global__ void sum_partial_f32(const float* x, long long n, double* partial)
{
    double s = 0.0;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        s += x[i];
    s = block_sum_double(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// Thread-to-data mapping: a single block; thread t adds partials t, t + blockDim.x, ...
extern "C" __global__ void sum_finish_f32(const double* partial, int count, float* total)
{
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
    s = block_sum_double(s);
    if (threadIdx.x == 0) *total = (float)s;
}
