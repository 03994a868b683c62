// CPU twin: Engine/Cpu/CpuBackend.AxisReduction.cs
// Tests: Tests/CudaBert.Tests/CudaBackend/AxisReductionPrimitiveTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Sum over one axis, y[o, i] = scale · Σ_a x[o, a, i], and its gradient dx[o, a, i] = scale · dy[o, i].
// The tensor is seen as [outer, n, inner] (n = the reduced axis' length): element (o, a, i) lives at
// (o·n + a)·inner + i. scale = 1/n gives the mean. Sums are accumulated in double and rounded to
// float once, after the scale (as the CPU backend), so the two differ only by the order of the
// double additions. No atomics: every output is written by exactly one thread or warp.
//
// Two forward kernels, because which one reads memory in order depends on the layout:
//   axis_sum_rows_f32 (inner = 1, the last axis): a row of n contiguous floats per output; a whole
//     warp reads it (lane l takes elements l, l + 32, ...: 32 neighbouring floats per step), then a
//     shuffle butterfly adds the lanes.
//   axis_sum_columns_f32 (inner > 1): one thread per output (o, i) walks down the axis with stride
//     inner; neighbouring threads hold neighbouring i, so each step of a warp reads contiguous floats.
// Parallelism is over the outputs only: a huge axis with few outputs leaves most of the GPU idle
// (BERT reduces over a hidden or sequence axis with many outputs, where this does not arise).

#include "elementwise.cuh"

// Butterfly over the 32 lanes in double (a double shuffle moves two 32-bit halves).
__device__ __forceinline__ double warp_sum_double(double v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// Thread-to-data mapping: warp w of the grid (W warps in all) reduces rows w, w + W, ...
extern "C" __global__ void axis_sum_rows_f32(const float* x, float* y, long long rows, int n, double scale)
{
    unsigned lane = threadIdx.x % 32;
    long long warp = grid_thread() / 32, warps = grid_threads() / 32;
    for (long long row = warp; row < rows; row += warps) {
        const float* values = x + row * n;
        double s = 0.0;
        for (int a = lane; a < n; a += 32) s += values[a];
        s = warp_sum_double(s);
        if (lane == 0) y[row] = (float)(scale * s);
    }
}

// Thread-to-data mapping: thread g of the grid (G threads) computes outputs j = g, g + G, ... with
// j = o·inner + i.
extern "C" __global__ void axis_sum_columns_f32(const float* x, float* y, long long outputs, int n, long long inner, double scale)
{
    for (long long j = grid_thread(); j < outputs; j += grid_threads()) {
        long long o = j / inner, i = j - o * inner;
        const float* column = x + o * n * inner + i;
        double s = 0.0;
        for (int a = 0; a < n; ++a) s += column[a * inner];
        y[j] = (float)(scale * s);
    }
}

// Thread-to-data mapping: a grid-stride loop over the elements k = (o·n + a)·inner + i of dx; each
// reads dy[o·inner + i] (neighbouring threads: neighbouring i, so contiguous reads and writes).
extern "C" __global__ void axis_sum_backward_f32(const float* dy, float* dx, long long count, int n, long long inner, double scale)
{
    for (long long k = grid_thread(); k < count; k += grid_threads()) {
        long long i = k % inner, o = k / (n * inner);
        dx[k] = (float)(scale * dy[o * inner + i]);
    }
}
