// CPU twin: Engine/Cpu/CpuBackend.Attention.cs
// Tests: Tests/CudaBert.Tests/Course/SoftmaxCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Softmax, step 1 of the course: one thread per row.
//
//   y[r][c] = exp(x[r][c] - max_r) / sum_c' exp(x[r][c'] - max_r)   for rows of `cols` floats
//
// Subtracting the row maximum first keeps exp from overflowing (softmax does not change when a
// constant is subtracted from the whole row); the largest exponential is then exp(0) = 1.
//
// Thread-to-data mapping: thread r of the grid owns row r and walks it three times: the max, the
// sum of exponentials, then the output.
//
// Why it is slow: the 32 threads of a warp read 32 different rows, `cols` floats apart, so every
// load instruction touches 32 separate 32-byte sectors where a coalesced one touches 4; and there are
// only `rows` threads, often too few warps to keep the GPU busy (and to hide memory latency).
// Step 2 gives each row a whole block, whose threads read consecutive columns.
// __expf compiles to ex2.approx.ftz.f32 (after a multiply by log2 e): fast, a few ulp from expf.

extern "C" __global__ void softmax_thread_per_row(const float* x, float* y, int rows, int cols)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* row_in = x + (long long)r * cols;
    float* row_out = y + (long long)r * cols;

    float m = -__int_as_float(0x7f800000);     // -infinity (NVRTC has no <math.h>)
    for (int c = 0; c < cols; ++c) m = fmaxf(m, row_in[c]);
    float s = 0.0f;
    for (int c = 0; c < cols; ++c) s += __expf(row_in[c] - m);
    float inv = 1.0f / s;
    for (int c = 0; c < cols; ++c) row_out[c] = __expf(row_in[c] - m) * inv;
}
