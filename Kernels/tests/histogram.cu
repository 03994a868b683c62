// CPU twin: none (the test computes the reference)
// Tests: Tests/CudaBert.Tests/CudaDevice/HistogramTests.cs
// Benchmark: none (a device feature test, not timed)

// Histogram with atomics: bins[b] += number of values v in data with v % bin_count == b.
//
// Two levels of atomics, the classic privatization pattern:
//   1. each block counts into its own histogram in shared memory (atomicAdd on shared: cheap, and
//      contended only by the threads of one block);
//   2. after a barrier, the block adds its private counts into the global histogram (atomicAdd on
//      global: one per bin per block instead of one per element).
//
// Thread-to-data mapping: a grid-stride loop, thread t reads data[t], data[t + stride], ...
// bin_count is given at launch; the shared histogram is dynamic (bin_count unsigned ints).

extern "C" __global__ void histogram(const unsigned* data, long long n, unsigned* bins, unsigned bin_count)
{
    extern __shared__ unsigned block_bins[];
    for (unsigned b = threadIdx.x; b < bin_count; b += blockDim.x)
        block_bins[b] = 0;
    __syncthreads();

    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        atomicAdd(&block_bins[data[i] % bin_count], 1u);
    __syncthreads();

    for (unsigned b = threadIdx.x; b < bin_count; b += blockDim.x)
        if (block_bins[b] != 0)
            atomicAdd(&bins[b], block_bins[b]);
}
