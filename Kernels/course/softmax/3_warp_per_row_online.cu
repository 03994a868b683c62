// CPU twin: Engine/Cpu/CpuBackend.Attention.cs
// Tests: Tests/CudaBert.Tests/Course/SoftmaxCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Softmax, step 3 of the course: one warp per row, max and sum in one pass ("online softmax").
//
//   y[r][c] = exp(x[r][c] - max_r) / sum_c' exp(x[r][c'] - max_r), rows of `cols` floats.
//
// What changed from step 2 (2_block_per_row.cu):
//   1. A warp, not a block, owns a row: the reductions are warp shuffles only — no shared memory, no
//      barrier — and a block of 4 warps works on 4 rows at once.
//   2. The max and the sum of exponentials come from ONE read of the row instead of two. Each lane
//      keeps a running max m and a running sum s of exp(x - m); when a larger value arrives, the sum
//      so far is rescaled to the new max:   m' = max(m, x),   s' = s · exp(m - m') + exp(x - m').
//      Two partial results (m1, s1), (m2, s2) combine the same way: m = max(m1, m2),
//      s = s1 · exp(m1 - m) + s2 · exp(m2 - m). The row is read twice in all (this pass, then the
//      output pass) instead of three times.
// The backend's kernel (Kernels/bert/softmax.cu) is also a warp per row, but for rows of at most 512
// columns it keeps the whole row in registers (16 values per lane): one read from global memory, the
// fewest bytes a softmax can move.
//
// Thread-to-data mapping: warp w of block b owns row r = b · (blockDim.x / 32) + w; lane l handles
// columns l, l + 32, ... blockDim.x must be a multiple of 32.
// A lane that saw no element (rows shorter than 32) has m = -infinity and s = 0; it must not add
// 0 · exp(-inf - (-inf)) = NaN when partial results combine, hence the s > 0 tests.

__device__ float rescaled(float s, float m, float new_m) { return s > 0.0f ? s * __expf(m - new_m) : 0.0f; }

extern "C" __global__ void softmax_warp_per_row_online(const float* x, float* y, int rows, int cols)
{
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;                     // a whole warp leaves together: its shuffles stay full
    const float* row_in = x + (long long)r * cols;
    float* row_out = y + (long long)r * cols;

    float m = -__int_as_float(0x7f800000);     // -infinity (NVRTC has no <math.h>)
    float s = 0.0f;
    for (int c = lane; c < cols; c += 32) {
        float v = row_in[c];
        float new_m = fmaxf(m, v);
        s = rescaled(s, m, new_m) + __expf(v - new_m);
        m = new_m;
    }
    for (int offset = 16; offset > 0; offset >>= 1) {   // butterfly: every lane ends with the row's (m, s)
        float other_m = __shfl_xor_sync(0xffffffffu, m, offset);
        float other_s = __shfl_xor_sync(0xffffffffu, s, offset);
        float new_m = fmaxf(m, other_m);
        s = rescaled(s, m, new_m) + rescaled(other_s, other_m, new_m);
        m = new_m;
    }

    float inv = 1.0f / s;
    for (int c = lane; c < cols; c += 32) row_out[c] = __expf(row_in[c] - m) * inv;
}
