// CPU twin: Engine/Cpu/CpuBackend.Optimizer.cs
// Tests: Tests/CudaBert.Tests/BertKernels/MultiTensorKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// The optimizer step over ALL parameter tensors of a model in a constant number of launches, however
// many tensors there are (a BERT has ~200, most of them small: one launch each would cost more in
// launch overhead than in work). The launcher uploads a table with one entry per tensor (its device
// pointers, its element count n, and the index of its first block); every kernel below runs
// Σ_k ⌈n_k / CHUNK⌉ blocks, each in charge of one CHUNK of one tensor:
//
//   tensor:   k = 0 (n = 9000)              k = 1 (n = 16)   k = 2 (n = 5000)
//   blocks:   [ b0 | b1 | b2 ]              [ b3 ]           [ b4 | b5 ]
//   first_block: 0                           3                4
//
//   block b → tensor k = the last k with first_block[k] ≤ b (a binary search in the table)
//             chunk c = b − first_block[k], elements [c·CHUNK, min((c + 1)·CHUNK, n_k))
//   thread t of the block → elements c·CHUNK + t, c·CHUNK + t + 256, ... (coalesced)
//
// Kernels:
//   multi_tensor_sum_of_squares_f32  partial[b] = Σ x² over block b's chunk, in double
//   multi_tensor_norm_finish          one block adds the partials in a fixed order (deterministic):
//                                     norm = √Σ, clip_scale = min(1, max_norm / (norm + 1e-6)) as
//                                     torch.nn.utils.clip_grad_norm_ (both stay on the device)
//   multi_tensor_scale_f32            x ← x · clip_scale, skipped when clip_scale is 1 (no clipping)
//   multi_tensor_adamw_f32            one AdamW update per element, as adamw.cu, with the learning rate,
//                                     weight decay and step count of each tensor's own entry; where the
//                                     entry has a bfloat16 copy, the new parameter rounded to nearest even
//                                     is written there too (the weights mixed-precision GEMMs read)

#include "reduce.cuh"

#define CHUNK 4096                                 // elements per block: 256 threads × 16

struct TensorChunks {                              // a tensor read or scaled in place (24 bytes)
    float* data;
    long long n;
    long long first_block;
};

struct AdamWTensor {                               // one parameter and its moments (88 bytes)
    float* param;
    const float* grad;
    float* exp_avg;
    float* exp_avg_sq;
    unsigned short* param_bf16;                    // null, or the parameter's bfloat16 copy (mixed precision)
    long long n;
    long long first_block;
    // Per tensor, computed by the launcher in double and rounded once (see adamw.cu):
    float decay;                                   // 1 − lr·λ
    float beta1, one_minus_beta1, beta2, one_minus_beta2;
    float step_size;                               // lr / (1 − β1ᵗ)
    float bias_correction2_sqrt;                   // √(1 − β2ᵗ)
    float eps;
};

// The entry whose blocks include block b: first_block is ascending and entry 0 starts at block 0.
template <typename Entry>
int entry_of_block(const Entry* table, int count, long long b)
{
    int low = 0, high = count - 1;
    while (low < high) {
        int middle = (low + high + 1) / 2;
        if (table[middle].first_block <= b) low = middle; else high = middle - 1;
    }
    return low;
}

extern "C" __global__ void multi_tensor_sum_of_squares_f32(const TensorChunks* tensors, int count, double* partial)
{
    TensorChunks t = tensors[entry_of_block(tensors, count, blockIdx.x)];
    long long start = ((long long)blockIdx.x - t.first_block) * CHUNK;
    long long end = min(start + CHUNK, t.n);
    double s = 0.0;
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
        double v = t.data[i];
        s += v * v;
    }
    s = block_sum_double(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// Thread-to-data mapping: a single block; thread t adds partials t, t + blockDim.x, ...
extern "C" __global__ void multi_tensor_norm_finish(const double* partial, long long count, double* norm,
                                                    double max_norm, float* clip_scale)
{
    double s = 0.0;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
    s = block_sum_double(s);
    if (threadIdx.x != 0) return;
    double root = sqrt(s);
    *norm = root;
    *clip_scale = (float)fmin(1.0, max_norm / (root + 1e-6));
}

extern "C" __global__ void multi_tensor_scale_f32(const TensorChunks* tensors, int count, const float* clip_scale)
{
    float scale = *clip_scale;
    if (scale >= 1.0f) return;
    TensorChunks t = tensors[entry_of_block(tensors, count, blockIdx.x)];
    long long start = ((long long)blockIdx.x - t.first_block) * CHUNK;
    long long end = min(start + CHUNK, t.n);
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) t.data[i] = __fmul_rn(t.data[i], scale);
}

// The operations, and their order and rounding, of adamw_step_f32 (adamw.cu): bit-identical to it.
extern "C" __global__ void multi_tensor_adamw_f32(const AdamWTensor* tensors, int count)
{
    AdamWTensor t = tensors[entry_of_block(tensors, count, blockIdx.x)];
    long long start = ((long long)blockIdx.x - t.first_block) * CHUNK;
    long long end = min(start + CHUNK, t.n);
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
        float g = t.grad[i];
        float p = __fmul_rn(t.param[i], t.decay);
        float m = __fadd_rn(__fmul_rn(t.exp_avg[i], t.beta1), __fmul_rn(t.one_minus_beta1, g));
        float v = __fadd_rn(__fmul_rn(t.exp_avg_sq[i], t.beta2), __fmul_rn(__fmul_rn(t.one_minus_beta2, g), g));
        float denominator = __fadd_rn(sqrtf(v) / t.bias_correction2_sqrt, t.eps);
        float updated = __fsub_rn(p, __fmul_rn(t.step_size, m / denominator));
        t.param[i] = updated;
        if (t.param_bf16 != nullptr) {
            unsigned short bits;
            asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(bits) : "f"(updated));
            t.param_bf16[i] = bits;
        }
        t.exp_avg[i] = m;
        t.exp_avg_sq[i] = v;
    }
}
