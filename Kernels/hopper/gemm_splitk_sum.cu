// CPU twin: Engine/Cpu/CpuBackend.Gemm.cs
// Tests: Tests/CudaBert.Tests/BertKernels/GemmWgmmaSplitKTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs
// Launcher: Kernels/Launch/HopperGemmKernels.cs (after gemm_wgmma_tf32.cu or gemm_wgmma_tf32_transposed.cu
// ran with splits > 1)
//
// The second half of Hopper's split-K TF32 GEMM. The wgmma kernels split K into `splits` ranges and
// write each range's raw product, P_s = A_b[:, K_s] · op(B_b)[K_s, :], into slab s of `partials`
// (splits slabs of batch × M × N floats, every item M × N row-major). This kernel finishes C, one
// thread per element:
//
//   x = alpha · ((P_0 + P_1) + P_2 + ... + P_{splits−1}) + beta · C      then the epilogue (gemm_epilogue.cuh)
//
// always summed in split order 0, 1, ..., splits − 1, whichever block finished its range first: so C is
// the same bits on every run (float addition is not associative; an atomicAdd per range would make
// the result depend on the arrival order). The arithmetic after the sum is the wgmma kernels' own
// store_tile, so splits = 1 would give the same C as those kernels alone.
//
// Compiled for compute_90a with the wgmma kernels (Kernels/hopper/), the only ones that use it.

#include "../bert/gemm_epilogue.cuh"

// A grid-stride loop over the batch · M · N elements of C (C_b at C + b·stride_c, leading dimension
// ldc; aux laid out like C).
extern "C" __global__ void gemm_splitk_sum(const float* __restrict__ partials, int splits, int M, int N, int batch,
                                           float alpha, float beta, float* __restrict__ C, int ldc, long long stride_c,
                                           const float* __restrict__ bias, const float* __restrict__ aux, int epilogue)
{
    long long count = (long long)batch * M * N;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x) {
        int n = (int)(i % N);
        long long row = i / N;
        int m = (int)(row % M), item = (int)(row / M);
        float sum = partials[i];
        for (int s = 1; s < splits; ++s) sum += partials[s * count + i];
        long long at = item * stride_c + (long long)m * ldc + n;
        float x = alpha * sum;
        if (beta != 0.0f) x = fmaf(beta, C[at], x);
        C[at] = gemm_epilogue(x, epilogue, bias, n, aux + at);
    }
}
