// CPU twin: Engine/Cpu/CpuBackend.Attention.cs
// Tests: Tests/CudaBert.Tests/Course/SoftmaxCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Softmax, step 2 of the course: one block per row.
//
//   y[r][c] = exp(x[r][c] - max_r) / sum_c' exp(x[r][c'] - max_r), rows of `cols` floats.
//
// What changed from step 1 (1_thread_per_row.cu): a whole block shares a row, so a warp reads 32
// consecutive columns (one coalesced access instead of 32 scattered ones), and there are as many
// blocks as rows, each with many warps: enough parallel work to hide memory latency.
// The price: the max and the sum are now spread over the block's threads and must be combined.
// What still limits it: every block-wide reduction needs shared memory and two barriers, and a short
// row (attention rows are 128-512 long) leaves most of a big block idle. Step 3 gives a row to a warp.
//
// Thread-to-data mapping: one block per row; thread t handles columns t, t + blockDim.x, ...
// Two block-wide reductions (the row max, for numerical safety, then the sum of exponentials),
// each done in two levels:
//   1. within each warp by shuffles (__shfl_xor_sync, a butterfly: every lane ends with the result);
//   2. across warps through shared memory: lane 0 of warp w stores its result in partial[w], and
//      after a barrier every thread combines the (at most 32) partials.
// blockDim.x must be a multiple of 32 (at most 1024).
// __expf compiles to ex2.approx.ftz.f32 (after a multiply by log2 e): fast, a few ulp from expf.

__device__ float warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

__device__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// Block-wide max (is_max) or sum of v; every thread gets the result. `partial` holds 32 floats.
__device__ float block_reduce(float v, bool is_max, float* partial)
{
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = is_max ? warp_max(v) : warp_sum(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    float total = partial[0];
    for (unsigned w = 1; w < warps; ++w)
        total = is_max ? fmaxf(total, partial[w]) : total + partial[w];
    __syncthreads();                             // partial may be reused by the next reduction
    return total;
}

extern "C" __global__ void softmax_rows(const float* x, float* y, int cols)
{
    __shared__ float partial[32];
    const float* row_in = x + (long long)blockIdx.x * cols;
    float* row_out = y + (long long)blockIdx.x * cols;

    float m = -__int_as_float(0x7f800000);     // -infinity (NVRTC has no <math.h>)
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        m = fmaxf(m, row_in[c]);
    m = block_reduce(m, true, partial);

    float s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        s += __expf(row_in[c] - m);
    s = block_reduce(s, false, partial);

    float inv = 1.0f / s;
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        row_out[c] = __expf(row_in[c] - m) * inv;
}
