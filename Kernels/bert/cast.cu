// CPU twin: Engine/Cpu/CpuBackend.cs
// Tests: Tests/CudaBert.Tests/BertKernels/ReductionKernelTests.cs, Tests/CudaBert.Tests/CudaBackend/CastPrimitiveTests.cs
// Benchmark: none (casts of ids, labels and weight copies, not timed)

// Conversions between buffers of n elements.
//   int32 ↔ float32: ids and masks come as integers, the attention and pooling masks are used as
//   floats; float → int truncates toward zero, as a C cast and the CPU backend's Cast; int → float
//   rounds to nearest.
//   float32 ↔ bfloat16 and float32 ↔ float16: 16-bit floats are stored as their raw bits (unsigned
//   short). Narrowing is cvt.rn (round to nearest, ties to even; a NaN becomes the canonical NaN
//   0x7FFF / 0x7FFF on the hardware), widening is exact. bfloat16 ↔ float16 goes through float32:
//   the widening is exact, so the one rounding is correct.
// Thread-to-data mapping: a grid-stride loop; thread g handles elements g, g + G, ... (G threads).

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

__device__ __forceinline__ unsigned short float_to_bf16_bits(float x)
{
    unsigned short bits;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(bits) : "f"(x));
    return bits;
}

// bfloat16 is the upper half of a float32.
__device__ __forceinline__ float bf16_bits_to_float(unsigned short bits) { return __uint_as_float((unsigned)bits << 16); }

__device__ __forceinline__ unsigned short float_to_f16_bits(float x)
{
    unsigned short bits;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(bits) : "f"(x));
    return bits;
}

__device__ __forceinline__ float f16_bits_to_float(unsigned short bits)
{
    float x;
    asm("cvt.f32.f16 %0, %1;" : "=f"(x) : "h"(bits));
    return x;
}

extern "C" __global__ void int32_to_float32(const int* x, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = (float)x[i];
}

extern "C" __global__ void float32_to_int32(const float* x, int* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = (int)x[i];
}

extern "C" __global__ void float32_to_bfloat16(const float* x, unsigned short* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = float_to_bf16_bits(x[i]);
}

extern "C" __global__ void bfloat16_to_float32(const unsigned short* x, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = bf16_bits_to_float(x[i]);
}

extern "C" __global__ void float32_to_float16(const float* x, unsigned short* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = float_to_f16_bits(x[i]);
}

extern "C" __global__ void float16_to_float32(const unsigned short* x, float* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = f16_bits_to_float(x[i]);
}

extern "C" __global__ void bfloat16_to_float16(const unsigned short* x, unsigned short* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = float_to_f16_bits(bf16_bits_to_float(x[i]));
}

extern "C" __global__ void float16_to_bfloat16(const unsigned short* x, unsigned short* y, long long n)
{
    GRID_STRIDE_LOOP(i, n) y[i] = float_to_bf16_bits(f16_bits_to_float(x[i]));
}
