// CPU twin: Engine/Cpu/CpuBackend.Elementwise.cs
// Tests: Tests/CudaBert.Tests/BertKernels/ElementwiseKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Element-wise arithmetic on flat float32 buffers of n elements: y = a + b, a − b, a ⊙ b, α·x,
// y += α·x (gradient accumulation, residual connections), and y = value (fill).
// Thread-to-data mapping: the vectorized grid-stride loops of elementwise.cuh (thread g handles the
// float4 vectors g, g + G, ... of the G threads in the grid, then the n % 4 tail element by element).
// Outputs may alias inputs.

#include "elementwise.cuh"

struct Add { __device__ float operator()(float a, float b) const { return a + b; } };
struct Sub { __device__ float operator()(float a, float b) const { return a - b; } };
struct Mul { __device__ float operator()(float a, float b) const { return a * b; } };
struct Scale {
    float alpha;
    __device__ float operator()(float x) const { return alpha * x; }
};
// y + alpha·x rounded once (a fused multiply-add).
struct AddScaled {
    float alpha;
    __device__ float operator()(float y, float x) const { return fmaf(x, alpha, y); }
};

extern "C" __global__ void add_f32(const float* a, const float* b, float* y, long long n) { map_binary(a, b, y, n, Add{}); }
extern "C" __global__ void sub_f32(const float* a, const float* b, float* y, long long n) { map_binary(a, b, y, n, Sub{}); }
extern "C" __global__ void mul_f32(const float* a, const float* b, float* y, long long n) { map_binary(a, b, y, n, Mul{}); }

extern "C" __global__ void scale_f32(const float* x, float alpha, float* y, long long n) { map_unary(x, y, n, Scale{alpha}); }

extern "C" __global__ void add_scaled_inplace_f32(float* y, float alpha, const float* x, long long n)
{
    map_binary(y, x, y, n, AddScaled{alpha});
}

// y[i] = value: the same vectorized loop, with nothing to read.
extern "C" __global__ void fill_f32(float* y, float value, long long n)
{
    long long vectors = aligned16(y) ? n / 4 : 0;
    for (long long v = grid_thread(); v < vectors; v += grid_threads())
        reinterpret_cast<float4*>(y)[v] = make_float4(value, value, value, value);
    for (long long i = 4 * vectors + grid_thread(); i < n; i += grid_threads()) y[i] = value;
}
