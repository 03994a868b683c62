// CPU twin: Engine/Cpu/CpuBackend.Loss.cs
// Tests: Tests/CudaBert.Tests/BertKernels/CrossEntropyKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Cross-entropy over the classes of each row, fused with log-softmax, writing the gradient in the
// same pass. logits [n, classes] row-major, targets [n] int32, optional class weights [classes].
//
//   row loss    ℓ_i = w_i · (logsumexp(z_i) − z_i[t_i]),   w_i = weights[t_i] (1 without weights)
//   loss        = Σ_i ℓ_i / Σ_i w_i over counted rows (t_i ≠ ignore_index)  — PyTorch's weighted mean
//   gradient    dz_i[j] = dloss · w_i / Σ w · (exp(z_i[j] − logsumexp(z_i)) − [j = t_i]); 0 on ignored rows
//
// Three launches, each deterministic:
//   1. cross_entropy_weight_sum: one block adds w_i over counted rows → *weight_sum.
//   2. cross_entropy_rows: one block per row; one read of the row for logsumexp (online max and sum),
//      a second read that writes dlogits (when not null). Probabilities are never stored.
//   3. cross_entropy_mean: one block adds the row losses and divides by *weight_sum → *loss.
// When every row is ignored, Σ w = 0 and the loss is 0/0 = NaN, as in PyTorch.
// A target outside [0, classes) that is not ignore_index makes its row loss NaN (so the loss is NaN).

#include "reduce.cuh"

// One pass logsumexp: each thread keeps a running max m and a sum s of exp(z − m); a larger value
// rescales the sum. Two (m, s) pairs merge as (M, s1·e^(m1 − M) + s2·e^(m2 − M)), M = max(m1, m2).
struct MaxSum { float m, s; };

__device__ __forceinline__ MaxSum merge(MaxSum a, MaxSum b)
{
    float m = fmaxf(a.m, b.m);
    if (m == negative_infinity()) return a;       // both empty: avoid e^(−∞ + ∞)
    return { m, a.s * expf(a.m - m) + b.s * expf(b.m - m) };
}

__device__ __forceinline__ bool counted(int t, int ignore_index) { return t != ignore_index; }

// Thread-to-data mapping: a single block; thread t handles rows t, t + blockDim.x, ...; then a block sum.
extern "C" __global__ void cross_entropy_weight_sum_f32(const int* targets, const float* weights, int n,
                                                        int classes, int ignore_index, float* weight_sum)
{
    __shared__ float partial[32];
    float s = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        int t = targets[i];
        if (counted(t, ignore_index) && t >= 0 && t < classes) s += weights ? weights[t] : 1.0f;
    }
    s = block_sum(s, partial);
    if (threadIdx.x == 0) *weight_sum = s;
}

// Thread-to-data mapping: block i owns row i; thread t handles classes t, t + blockDim.x, ...
// The per-thread (max, sum) pairs are merged across the warp by shuffles, then across warps
// through shared memory in warp order.
// dloss and weight_sum are device scalars (read only when dlogits is not null).
extern "C" __global__ void cross_entropy_rows_f32(const float* logits, const int* targets, const float* weights,
                                                  int classes, int ignore_index, const float* dloss,
                                                  const float* weight_sum, float* row_loss, float* dlogits)
{
    __shared__ MaxSum warp_part[32];
    int i = blockIdx.x;
    int t = targets[i];
    const float* z = logits + (long long)i * classes;
    float* dz = dlogits ? dlogits + (long long)i * classes : nullptr;

    if (!counted(t, ignore_index) || t < 0 || t >= classes) {
        for (int j = threadIdx.x; j < classes && dz; j += blockDim.x) dz[j] = 0.0f;
        if (threadIdx.x == 0) row_loss[i] = counted(t, ignore_index) ? __int_as_float(0x7fc00000) : 0.0f;
        return;
    }

    MaxSum ms = { negative_infinity(), 0.0f };
    for (int j = threadIdx.x; j < classes; j += blockDim.x) {
        float v = z[j];
        if (v > ms.m) {
            ms.s = ms.s * expf(ms.m - v) + 1.0f;
            ms.m = v;
        } else {
            ms.s += expf(v - ms.m);
        }
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
        MaxSum other = { __shfl_xor_sync(0xffffffffu, ms.m, offset), __shfl_xor_sync(0xffffffffu, ms.s, offset) };
        ms = merge(ms, other);
    }
    if (threadIdx.x % 32 == 0) warp_part[threadIdx.x / 32] = ms;
    __syncthreads();
    MaxSum total = warp_part[0];
    for (unsigned w = 1; w < blockDim.x / 32; ++w) total = merge(total, warp_part[w]);
    float lse = total.m + logf(total.s);

    float w = weights ? weights[t] : 1.0f;
    if (threadIdx.x == 0) row_loss[i] = w * (lse - z[t]);
    if (dz) {
        float factor = *dloss * w / *weight_sum;
        for (int j = threadIdx.x; j < classes; j += blockDim.x)
            dz[j] = factor * (expf(z[j] - lse) - (j == t ? 1.0f : 0.0f));
    }
}

// Thread-to-data mapping: a single block; thread t adds rows t, t + blockDim.x, ...; then a block sum.
extern "C" __global__ void cross_entropy_mean_f32(const float* row_loss, int n, const float* weight_sum, float* loss)
{
    __shared__ float partial[32];
    float s = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += row_loss[i];
    s = block_sum(s, partial);
    if (threadIdx.x == 0) *loss = s / *weight_sum;
}
