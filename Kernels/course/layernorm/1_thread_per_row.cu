// CPU twin: Engine/Cpu/CpuBackend.Normalization.cs
// Tests: Tests/CudaBert.Tests/Course/LayerNormCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Layer norm (forward), step 1 of the course: one thread per row.
//
//   μ = mean(x_r),  σ² = mean((x_r − μ)²) (biased, as BERT and PyTorch),  rstd = 1 / √(σ² + ε),
//   y[r][c] = (x[r][c] − μ) · rstd · γ[c] + β[c];   μ and rstd are saved per row for the backward.
//
// The variance is computed from x − μ in a second pass, not as E[x²] − μ²: when |μ| is large next to
// σ the two terms of the shortcut nearly cancel and float32 loses most of its digits.
//
// Thread-to-data mapping: thread r of the grid owns row r and walks it three times (mean, variance,
// output).
// Why it is slow: as in softmax step 1, a warp's 32 loads hit 32 rows `cols` floats apart (32 sectors
// per access instead of 4), and only `rows` threads run. Step 2 gives each row a warp.

extern "C" __global__ void layernorm_thread_per_row(const float* x, const float* gamma, const float* beta, float* y,
                                                    float* mean, float* rstd, int rows, int cols, float eps)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long)r * cols;
    float* yr = y + (long long)r * cols;

    float s = 0.0f;
    for (int c = 0; c < cols; ++c) s += xr[c];
    float mu = s / cols;
    float ss = 0.0f;
    for (int c = 0; c < cols; ++c) ss += (xr[c] - mu) * (xr[c] - mu);
    float inv = rsqrtf(ss / cols + eps);
    for (int c = 0; c < cols; ++c) yr[c] = (xr[c] - mu) * inv * gamma[c] + beta[c];
    mean[r] = mu;
    rstd[r] = inv;
}
