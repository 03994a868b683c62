// CPU twin: none (a deliberate bug for the sanitizer)
// Tests: Tests/CudaBert.Tests/SoftwareGpu/SanitizerTests.cs
// Benchmark: none (a deliberate bug, not timed)

// PLANTED BUG (sanitizer test): a barrier that only half of the block reaches. __syncthreads()
// must be executed by every thread of the block; here only threads with threadIdx.x below half of
// the block call it, so on hardware the block may hang or silently misbehave. The software GPU's
// sanitizer must report the barrier with kernel, PTX line, block and the threads that never came.

extern "C" __global__ void divergent_barrier(float* y)
{
    unsigned t = threadIdx.x;
    float v = (float)t;
    if (t < blockDim.x / 2) {
        __syncthreads();                         // BUG: not reached by threads >= blockDim.x / 2
        v *= 2.0f;
    }
    y[blockIdx.x * blockDim.x + t] = v;
}
