// Column sums of a row-major [rows, cols] matrix: sums[c] = Σ_r x[r][c]. This is the bias gradient
// (dbias = Σ over tokens of dy), and the second pass of the layer-norm backward (dγ, dβ).
//
// Deterministic, without atomics, in two passes:
//   1. column_sum_partial: rows are cut into gridDim.y chunks of rows_per_chunk rows; block
//      (bx, chunk) sums its chunk for 32 columns and writes partial[chunk][c].
//   2. column_sum_finish: one thread per column adds the partials of all chunks in chunk order.
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

// Thread-to-data mapping: thread blockIdx.x * blockDim.x + threadIdx.x owns column c and walks the
// chunks in order (consecutive threads read consecutive columns of each partial row).
extern "C" __global__ void column_sum_finish_f32(const float* partial, float* sums, int chunks, int cols)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    float total = 0.0f;
    for (int k = 0; k < chunks; ++k) total += partial[(long long)k * cols + c];
    sums[c] = total;
}
