// CPU twin: Engine/Cpu/CpuBackend.Embedding.cs
// Tests: Tests/CudaBert.Tests/BertKernels/MeanPoolKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Masked mean pooling over the sequence axis (the sentence-classification head's input), fwd and bwd.
//
//   forward:  y[b][c]     = Σ_s h[b][s][c] · m[b][s] / max(Σ_s m[b][s], eps)
//   backward: dh[b][s][c] = dy[b][c] · m[b][s] / max(Σ_s m[b][s], eps)   (the map is linear in h)
//
// h, dh are [B, S, C] row-major; mask m is [B, S] float (1 for tokens, 0 for padding); y, dy [B, C].
// eps (1e-9 in the model) keeps an all-padding row finite (it pools to 0).
// In both kernels the denominator is a reduction over the mask row, computed by every block that needs
// it (S is short, the mask row is tiny).

#include "reduce.cuh"

__device__ __forceinline__ float mask_denominator(const float* mask_row, int seq, float eps, float* partial)
{
    float s = 0.0f;
    for (int i = threadIdx.x; i < seq; i += blockDim.x) s += mask_row[i];
    return fmaxf(block_sum(s, partial), eps);
}

// Forward thread-to-data mapping: block (32, SEQ_LANES) at grid position (bx, b) owns the 32 outputs
// y[b][bx·32 .. bx·32 + 31]; thread (tx, ty) takes channel c = bx·32 + tx and the positions s = ty,
// ty + SEQ_LANES, ... (a warp, fixed ty, reads 32 consecutive floats of h[b][s]: coalesced). Why: one
// thread walking all S positions of its channel leaves each thread a single chain of loads and too few
// blocks (BERT-base: 96) to keep the memory busy; SEQ_LANES chains per channel give
// ⌈C/32⌉·B blocks (768) of 8 warps. The SEQ_LANES partial sums are then added in ty order through shared
// memory (deterministic). Warp 0 sums the mask row for the denominator first.
#define SEQ_LANES 8

extern "C" __global__ void masked_mean_pool_forward_f32(const float* h, const float* mask, float* y,
                                                        int seq, int channels, float eps)
{
    __shared__ float lane_sum[SEQ_LANES][32 + 1];   // +1: no bank conflicts
    __shared__ float denominator;
    int tx = threadIdx.x, ty = threadIdx.y;
    int b = blockIdx.y;
    int c = blockIdx.x * 32 + tx;
    const float* mask_row = mask + (long long)b * seq;
    if (ty == 0) {
        float m = 0.0f;
        for (int i = tx; i < seq; i += 32) m += mask_row[i];
        m = warp_sum(m);
        if (tx == 0) denominator = fmaxf(m, eps);
    }
    __syncthreads();
    float acc = 0.0f;
    if (c < channels)
        for (int s = ty; s < seq; s += SEQ_LANES)
            acc = fmaf(h[((long long)b * seq + s) * channels + c], mask_row[s] / denominator, acc);
    lane_sum[ty][tx] = acc;
    __syncthreads();
    if (ty == 0 && c < channels) {
        float total = lane_sum[0][tx];
        for (int l = 1; l < SEQ_LANES; ++l) total += lane_sum[l][tx];
        y[(long long)b * channels + c] = total;
    }
}

// Backward thread-to-data mapping: block bx owns the row (b, s) = (bx / S, bx % S) of dh; thread t writes
// channels t, t + blockDim.x, ...
extern "C" __global__ void masked_mean_pool_backward_f32(const float* dy, const float* mask, float* dh,
                                                         int seq, int channels, float eps)
{
    __shared__ float partial[32];
    int b = blockIdx.x / seq, s = blockIdx.x % seq;
    const float* mask_row = mask + (long long)b * seq;
    float weight = mask_row[s] / mask_denominator(mask_row, seq, eps, partial);
    float* dhr = dh + (long long)blockIdx.x * channels;
    const float* dyr = dy + (long long)b * channels;
    for (int c = threadIdx.x; c < channels; c += blockDim.x)
        dhr[c] = dyr[c] * weight;
}
