// CPU twin: Engine/Cpu/CpuBackend.Normalization.cs
// Tests: Tests/CudaBert.Tests/Course/LayerNormCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Layer norm (forward), step 2 of the course: one warp per row.
//
//   μ = mean(x_r),  σ² = mean((x_r − μ)²),  rstd = 1 / √(σ² + ε),  y = (x − μ) · rstd · γ + β
//   (μ and rstd saved per row), as in step 1.
//
// What changed from step 1 (1_thread_per_row.cu): a warp owns a row, lane l handling columns l,
// l + 32, ...: every load of a warp reads 32 consecutive floats (coalesced), and the mean and the
// variance are warp reductions by shuffles (__shfl_xor_sync butterfly: after 5 steps every lane holds
// the sum) — no shared memory, no barrier. A block of 4 warps works on 4 rows.
// What still limits it: the row is read from memory three times (mean, variance, output); the later
// reads mostly hit L1/L2, but they still cost load instructions. The backend's kernel
// (Kernels/bert/layernorm.cu) keeps the row in registers for rows up to 1024 columns (BERT's 768),
// reads it once with 16-byte (float4) loads, and fuses the residual add that precedes every BERT
// layer norm.
//
// Thread-to-data mapping: warp w of block b owns row r = b · (blockDim.x / 32) + w.
// blockDim.x must be a multiple of 32.

__device__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

extern "C" __global__ void layernorm_warp_per_row(const float* x, const float* gamma, const float* beta, float* y,
                                                  float* mean, float* rstd, int rows, int cols, float eps)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;                     // a whole warp leaves together: its shuffles stay full
    const float* xr = x + (long long)r * cols;
    float* yr = y + (long long)r * cols;

    float s = 0.0f;
    for (int c = lane; c < cols; c += 32) s += xr[c];
    float mu = warp_sum(s) / cols;
    float ss = 0.0f;
    for (int c = lane; c < cols; c += 32) ss += (xr[c] - mu) * (xr[c] - mu);
    float inv = rsqrtf(warp_sum(ss) / cols + eps);
    for (int c = lane; c < cols; c += 32) yr[c] = (xr[c] - mu) * inv * gamma[c] + beta[c];
    if (lane == 0) {
        mean[r] = mu;
        rstd[r] = inv;
    }
}
