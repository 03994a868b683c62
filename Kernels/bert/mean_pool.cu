// Masked mean pooling over the sequence axis (the sentence-classification head's input), fwd and bwd.
//
//   forward:  y[b][c]     = Σ_s h[b][s][c] · m[b][s] / max(Σ_s m[b][s], eps)
//   backward: dh[b][s][c] = dy[b][c] · m[b][s] / max(Σ_s m[b][s], eps)   (the map is linear in h)
//
// h, dh are [B, S, C] row-major; mask m is [B, S] float (1 for tokens, 0 for padding); y, dy [B, C].
// eps (1e-9 in the model) keeps an all-padding row finite (it pools to 0).
// In both kernels the denominator is a block reduction over the mask row, computed by every block
// that needs it (S is short, the mask row is tiny).

#include "reduce.cuh"

__device__ __forceinline__ float mask_denominator(const float* mask_row, int seq, float eps, float* partial)
{
    float s = 0.0f;
    for (int i = threadIdx.x; i < seq; i += blockDim.x) s += mask_row[i];
    return fmaxf(block_sum(s, partial), eps);
}

// Thread-to-data mapping: block (bx, b) with c = bx · blockDim.x + threadIdx.x: thread owns output
// y[b][c] and walks s = 0 .. S−1 in order (a warp reads 32 consecutive floats of h[b][s]: coalesced).
extern "C" __global__ void masked_mean_pool_forward_f32(const float* h, const float* mask, float* y,
                                                        int seq, int channels, float eps)
{
    __shared__ float partial[32];
    int b = blockIdx.y;
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    const float* mask_row = mask + (long long)b * seq;
    float denominator = mask_denominator(mask_row, seq, eps, partial);   // all threads take part
    if (c >= channels) return;
    float acc = 0.0f;
    for (int s = 0; s < seq; ++s)
        acc = fmaf(h[((long long)b * seq + s) * channels + c], mask_row[s] / denominator, acc);
    y[(long long)b * channels + c] = acc;
}

// Thread-to-data mapping: block bx owns the row (b, s) = (bx / S, bx % S) of dh; thread t writes
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
