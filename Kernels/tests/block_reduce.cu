// Block reduction through shared memory: partial[b] = sum of the elements block b covers.
//
// Each block sums 2 * blockDim.x consecutive elements of x (each thread loads two, a first
// addition for free), then halves the number of active threads at every step of a tree:
//
//   step s (s = blockDim.x/2, blockDim.x/4, ..., 1): thread t < s adds sums[t + s] into sums[t]
//
// A __syncthreads() separates the steps: a thread must not read sums[t + s] before the thread
// that owns it has written it. blockDim.x must be a power of two; the shared array is dynamic
// (its size, blockDim.x floats, is given at launch).

extern "C" __global__ void block_reduce_sum(const float* x, float* partial, int n)
{
    extern __shared__ float sums[];
    unsigned t = threadIdx.x;
    int i = blockIdx.x * (2 * blockDim.x) + t;

    float v = 0.0f;
    if (i < n) v += x[i];
    if (i + (int)blockDim.x < n) v += x[i + blockDim.x];
    sums[t] = v;
    __syncthreads();

    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            sums[t] += sums[t + s];
        __syncthreads();
    }
    if (t == 0)
        partial[blockIdx.x] = sums[0];
}
