// CPU twin: Engine/Cpu/CpuBackend.Activations.cs
// Tests: Tests/CudaBert.Tests/BertKernels/ElementwiseKernelTests.cs, Tests/CudaBert.Tests/BertKernels/GemmGeluDerivativeEpilogueTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Activation functions and their derivatives, element-wise on flat float32 buffers of n elements.
//
//   GELU (exact, with the Gauss error function, as BERT):  y = x·Φ(x),  Φ(x) = ½(1 + erf(x/√2))
//        derivative:  dy/dx = Φ(x) + x·φ(x),  φ(x) = exp(−x²/2)/√(2π), the normal density
//   tanh:  y = tanh(x),  derivative from the output:  dy/dx = 1 − y²
//
// Thread-to-data mapping: the vectorized grid-stride loops of elementwise.cuh (thread g handles the
// float4 vectors g, g + G, ... of the G threads in the grid, then the n % 4 tail element by element).
// GELU's formulas live in gelu.cuh (shared with the GEMM epilogues). erff and tanhf are CUDA's
// full-precision versions (at most 2 ulp from the exact value), not approximations, so the GPU
// agrees with the CPU backend (which evaluates in double) to a few ulp.

#include "elementwise.cuh"
#include "gelu.cuh"

struct Gelu { __device__ float operator()(float x) const { return x * normal_cdf(x); } };

// dx = dy · GELU′(x), GELU′(x) = Φ(x) + x·φ(x) (gelu.cuh, shared with the GEMMs' epilogue).
struct GeluBackward { __device__ float operator()(float x, float dy) const { return dy * gelu_erf_derivative(x); } };

struct Tanh { __device__ float operator()(float x) const { return tanhf(x); } };

// dx = dy · (1 − y²), from the forward output y.
struct TanhBackward { __device__ float operator()(float y, float dy) const { return dy * (1.0f - y * y); } };

extern "C" __global__ void gelu_forward_f32(const float* x, float* y, long long n) { map_unary(x, y, n, Gelu{}); }

extern "C" __global__ void gelu_backward_f32(const float* x, const float* dy, float* dx, long long n)
{
    map_binary(x, dy, dx, n, GeluBackward{});
}

extern "C" __global__ void tanh_forward_f32(const float* x, float* y, long long n) { map_unary(x, y, n, Tanh{}); }

extern "C" __global__ void tanh_backward_f32(const float* y, const float* dy, float* dx, long long n)
{
    map_binary(y, dy, dx, n, TanhBackward{});
}
