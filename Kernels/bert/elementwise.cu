// Element-wise arithmetic on flat float32 buffers of n elements: y = a + b, a - b, a * b, alpha * x,
// and y += alpha * x (gradient accumulation, residual connections).
//
// Thread-to-data mapping: a grid-stride loop. Thread g = blockIdx.x * blockDim.x + threadIdx.x
// handles elements g, g + G, g + 2G, ... with G = gridDim.x * blockDim.x, so any grid covers any n
// and neighbouring threads touch neighbouring addresses (coalesced loads and stores).
// Outputs may alias inputs (in-place use): each element is read and written by the same thread.

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

extern "C" __global__ void add_f32(const float* a, const float* b, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = a[i] + b[i];
}

extern "C" __global__ void sub_f32(const float* a, const float* b, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = a[i] - b[i];
}

extern "C" __global__ void mul_f32(const float* a, const float* b, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = a[i] * b[i];
}

extern "C" __global__ void scale_f32(const float* x, float alpha, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = alpha * x[i];
}

// y = y + alpha * x, rounded once (a fused multiply-add, as TensorPrimitives.MultiplyAdd on the CPU).
extern "C" __global__ void add_scaled_inplace_f32(float* y, float alpha, const float* x, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = fmaf(x[i], alpha, y[i]);
}
