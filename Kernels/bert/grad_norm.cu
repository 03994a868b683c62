// CPU twin: Engine/Cpu/CpuBackend.Reduction.cs
// Tests: Tests/CudaBert.Tests/BertKernels/OptimizerKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Sum of squares of a flat float32 buffer, accumulated in double (the global gradient norm² for
// clipping), deterministic in two passes, without atomics:
//   1. sum_of_squares_partial: block b adds x² over its grid-stride share → partial[b] (double).
//   2. sum_of_squares_finish: one block adds the partials in a fixed order → total[0]; optionally
//      the clipping factor clip_scale[0] = min(1, max_norm / (√total + 1e-6)), as PyTorch's
//      clip_grad_norm_, which adamw_step_f32 reads as its grad_scale (no host round trip).
// Both reductions: per-thread double sums, warp shuffles, then warps in order through shared memory.
// Thread-to-data mapping (pass 1): thread g of the grid handles elements g, g + G, ...

#include "reduce.cuh"

extern "C" __global__ void sum_of_squares_partial_f32(const float* x, long long n, double* partial)
{
    double s = 0.0;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        double v = x[i];
        s += v * v;
    }
    s = block_sum_double(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// Thread-to-data mapping: a single block; thread t adds partials t, t + blockDim.x, ...
extern "C" __global__ void sum_of_squares_finish(const double* partial, int count, double* total,
                                                 float max_norm, float* clip_scale)
{
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
    s = block_sum_double(s);
    if (threadIdx.x != 0) return;
    *total = s;
    if (clip_scale) *clip_scale = (float)fmin(1.0, (double)max_norm / (sqrt(s) + 1e-6));
}
