// Activation functions and their derivatives, element-wise on flat float32 buffers of n elements.
//
//   GELU (exact, with the Gauss error function, as BERT):  y = x·Φ(x),  Φ(x) = ½(1 + erf(x/√2))
//        derivative:  dy/dx = Φ(x) + x·φ(x),  φ(x) = exp(−x²/2)/√(2π), the normal density
//   tanh:  y = tanh(x),  derivative from the output:  dy/dx = 1 − y²
//
// Thread-to-data mapping: a grid-stride loop (see elementwise.cu); thread g handles elements
// g, g + G, ... with G the number of threads in the grid.
// erff and tanhf are CUDA's full-precision versions (at most 2 ulp from the exact value), not
// approximations, so the GPU agrees with the CPU backend (which evaluates in double) to a few ulp.

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

__device__ __forceinline__ float normal_cdf(float x) { return 0.5f * (1.0f + erff(x * INV_SQRT2)); }

extern "C" __global__ void gelu_forward_f32(const float* x, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) {
        float v = x[i];
        y[i] = v * normal_cdf(v);
    }
}

// dx = dy · (Φ(x) + x·φ(x)).
extern "C" __global__ void gelu_backward_f32(const float* x, const float* dy, float* dx, long long n)
{
    GRID_STRIDE_LOOP(i, n) {
        float v = x[i];
        float derivative = normal_cdf(v) + v * INV_SQRT_2PI * expf(-0.5f * v * v);
        dx[i] = dy[i] * derivative;
    }
}

extern "C" __global__ void tanh_forward_f32(const float* x, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = tanhf(x[i]);
}

// dx = dy · (1 − y²), from the forward output y.
extern "C" __global__ void tanh_backward_f32(const float* y, const float* dy, float* dx, long long n)
{
    GRID_STRIDE_LOOP(i, n) {
        float v = y[i];
        dx[i] = dy[i] * (1.0f - v * v);
    }
}
