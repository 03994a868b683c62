// CPU twin: Engine/Cpu/CpuBackend.cs
// Tests: Tests/CudaBert.Tests/BertKernels/ReductionKernelTests.cs
// Benchmark: none (int32 ↔ float32 casts of ids and labels, not timed)

// Conversions between int32 and float32 buffers of n elements (ids and masks come as integers, the
// attention and pooling masks are used as floats): float → int truncates toward zero, as a C cast
// and the CPU backend's Cast; int → float rounds to nearest.
// Thread-to-data mapping: a grid-stride loop; thread g handles elements g, g + G, ... (G threads).

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

extern "C" __global__ void int32_to_float32(const int* x, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = (float)x[i];
}

extern "C" __global__ void float32_to_int32(const float* x, int* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = (int)x[i];
}
