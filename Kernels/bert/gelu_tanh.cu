// CPU twin: Engine/Cpu/CpuBackend.Activations.cs
// Tests: Tests/CudaBert.Tests/CudaBackend/GeluTanhPrimitiveTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// GELU's tanh approximation (Hugging Face "gelu_new" / "gelu_pytorch_tanh"), element-wise on flat
// float32 buffers of n elements:
//
//   y = ½x·(1 + t),  t = tanh(u),  u = c·(x + a·x³),  c = √(2/π),  a = 0.044715
//   derivative:  dy/dx = ½(1 + t) + ½x·(1 − t²)·c·(1 + 3a·x²)
//
// Thread-to-data mapping: the vectorized grid-stride loops of elementwise.cuh. tanhf is CUDA's
// full-precision tanh (a few ulp), not the tanh.approx instruction, so the GPU stays within a few
// ulp of the CPU backend, which evaluates in double.

#include "elementwise.cuh"

#define GELU_TANH_SCALE 0.79788456080286536f
#define GELU_TANH_CUBIC 0.044715f

__device__ __forceinline__ float gelu_tanh_t(float x) { return tanhf(GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x)); }

struct GeluTanh { __device__ float operator()(float x) const { return 0.5f * x * (1.0f + gelu_tanh_t(x)); } };

// dx = dy · dGeluTanh/dx, from the forward input x.
struct GeluTanhBackward {
    __device__ float operator()(float x, float dy) const
    {
        float t = gelu_tanh_t(x);
        float du = GELU_TANH_SCALE * (1.0f + 3.0f * GELU_TANH_CUBIC * x * x);
        return dy * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du);
    }
};

extern "C" __global__ void gelu_tanh_forward_f32(const float* x, float* y, long long n) { map_unary(x, y, n, GeluTanh{}); }

extern "C" __global__ void gelu_tanh_backward_f32(const float* x, const float* dy, float* dx, long long n)
{
    map_binary(x, dy, dx, n, GeluTanhBackward{});
}
