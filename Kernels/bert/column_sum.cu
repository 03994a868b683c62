// CPU twin: Engine/Cpu/CpuBackend.Elementwise.cs
// Tests: Tests/CudaBert.Tests/BertKernels/BiasKernelTests.cs
// Benchmark: Cli/Commands/Bench/KernelBenchmarks.cs

// Column sums of a row-major [rows, cols] matrix: sums[c] = Σ_r x[r][c]. This is the bias gradient
// (dbias = Σ over tokens of dy), and the second pass of the layer-norm backward (dγ, dβ).
//
// Deterministic, without atomics, in two passes:
//   1. column_sum_partial: rows are cut into gridDim.y chunks of rows_per_chunk rows; block
//      (bx, chunk) sums its chunk for 32 columns and writes partial[chunk][c].
//   2. column_sum_finish: 8 threads per column each add every 8th chunk's partial, then their 8 sums
//      are added in a fixed order.
// The order of every addition is fixed by the launch shape, never by timing.
// With a single chunk, pass 1 may write straight into `sums` and pass 2 is skipped.
//
// Pass 1 thread-to-data mapping: block (32, 8). Thread (tx, ty) owns column c = bx * 32 + tx and
// rows chunk_start + ty, + 8, + 16, ... of the chunk (a warp reads 32 consecutive floats of a row:
// coalesced). The 8 per-thread sums of a column are then added in ty order through shared memory.

#define COLUMNS_PER_BLOCK 32
#define ROW_LANES 8

extern "C" __global__ void column_sum_partial_f32(const float* x, float* partial, int rows, int cols, int rows_per_chunk)
{
    __shared__ float lane_sum[ROW_LANES][COLUMNS_PER_BLOCK + 1];   // +1: no bank conflicts
    int tx = threadIdx.x, ty = threadIdx.y;
    int c = blockIdx.x * COLUMNS_PER_BLOCK + tx;
    int first = blockIdx.y * rows_per_chunk;
    int end = min(rows, first + rows_per_chunk);

    float s = 0.0f;
    if (c < cols)
        for (int r = first + ty; r < end; r += ROW_LANES)
            s += x[(long long)r * cols + c];
    lane_sum[ty][tx] = s;
    __syncthreads();
    if (ty == 0 && c < cols) {
        float total = lane_sum[0][tx];
        for (int k = 1; k < ROW_LANES; ++k) total += lane_sum[k][tx];
        partial[(long long)blockIdx.y * cols + c] = total;
    }
}

// Pass 2 thread-to-data mapping: block (32, FINISH_LANES); thread (tx, ty) owns column c = bx · 32 + tx
// and adds chunks ty, ty + FINISH_LANES, ... (a warp reads 32 consecutive floats of a partial row:
// coalesced); the FINISH_LANES sums of a column are then added in ty order through shared memory.
// Why: one thread per column walking all chunks is a single chain of additions with few loads in
// flight, on only ⌈cols / 256⌉ blocks; eight chains per column on ⌈cols / 32⌉ blocks finish in a few
// memory latencies. (layernorm_backward_finish_f32 is the same pass for dγ and dβ at once.)
#define FINISH_LANES 8

extern "C" __global__ void column_sum_finish_f32(const float* partial, float* sums, int chunks, int cols)
{
    __shared__ float lane_sum[FINISH_LANES][COLUMNS_PER_BLOCK + 1];   // +1: no bank conflicts
    int tx = threadIdx.x, ty = threadIdx.y;
    int c = blockIdx.x * COLUMNS_PER_BLOCK + tx;
    float s = 0.0f;
    if (c < cols)
        for (int k = ty; k < chunks; k += FINISH_LANES) s += partial[(long long)k * cols + c];
    lane_sum[ty][tx] = s;
    __syncthreads();
    if (ty == 0 && c < cols) {
        float total = lane_sum[0][tx];
        for (int l = 1; l < FINISH_LANES; ++l) total += lane_sum[l][tx];
        sums[c] = total;
    }
}
