// CPU twin: Engine/Cpu/CpuBackend.Elementwise.cs
// Tests: Tests/CudaBert.Tests/BertKernels/BiasKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Bias add: y[r][c] = x[r][c] + bias[c] for a row-major [rows, cols] matrix (a Linear layer's bias).
// The bias gradient, the column sum over rows, is in column_sum.cu.
//
// Thread-to-data mapping: thread blockIdx.x * blockDim.x + threadIdx.x owns the VEC columns starting
// at c = VEC · that index (one block covers VEC · blockDim.x consecutive columns, so loads of x and
// stores of y are coalesced, and the thread loads its bias once); rows are walked by blockIdx.y,
// blockIdx.y + gridDim.y, ... (a grid-stride loop over rows; the launcher sizes gridDim.y to fill the
// device, so each thread handles several rows and a block is not one short row). VEC = 4 (cols % 4 == 0
// and every pointer 16-byte aligned; the launcher checks) moves each 4 columns in one 16-byte access,
// as the elementwise kernels do; VEC = 1 is the fallback. y may alias x: each element is read, then
// written, by the same thread.

#include "row_vector.cuh"

template <int VEC>
__device__ __forceinline__ void bias_add(const float* x, const float* bias, float* y, int rows, int cols)
{
    int c = VEC * (blockIdx.x * blockDim.x + threadIdx.x);
    if (c >= cols) return;
    float b[VEC];
    load_columns<VEC>(bias, c, b);
    for (int r = blockIdx.y; r < rows; r += gridDim.y) {
        long long row = (long long)r * cols;
        float v[VEC];
        load_columns<VEC>(x + row, c, v);
        #pragma unroll
        for (int e = 0; e < VEC; ++e) v[e] += b[e];
        store_columns<VEC>(y + row, c, v);
    }
}

extern "C" __global__ void bias_add_f32(const float* x, const float* bias, float* y, int rows, int cols)
{
    bias_add<1>(x, bias, y, rows, cols);
}

extern "C" __global__ void bias_add_vec4_f32(const float* x, const float* bias, float* y, int rows, int cols)
{
    bias_add<4>(x, bias, y, rows, cols);
}
