// Bias add: y[r][c] = x[r][c] + bias[c] for a row-major [rows, cols] matrix (a Linear layer's bias).
// The bias gradient, the column sum over rows, is in column_sum.cu.
//
// Thread-to-data mapping: blockIdx.x * blockDim.x + threadIdx.x is the column c (one block covers
// blockDim.x consecutive columns, so loads of x and y are coalesced and bias[c] is loaded once per
// thread); rows are walked by blockIdx.y, blockIdx.y + gridDim.y, ... (a grid-stride loop over
// rows, so gridDim.y may be smaller than rows: its limit is 65535). y may alias x.

extern "C" __global__ void bias_add_f32(const float* x, const float* bias, float* y, int rows, int cols)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    float b = bias[c];
    for (int r = blockIdx.y; r < rows; r += gridDim.y) {
        long long i = (long long)r * cols + c;
        y[i] = x[i] + b;
    }
}
