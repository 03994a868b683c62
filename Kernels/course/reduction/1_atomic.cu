// CPU twin: Engine/Cpu/CpuBackend.Reduction.cs
// Tests: Tests/CudaBert.Tests/Course/SumCourseTests.cs
// Benchmark: Course/CourseBenchmark.cs

// Sum of a float array, step 1 of the course: every thread adds its element into one total with an
// atomic.   *total += x[i] for every i  (*total must be 0 before the launch).
//
// Thread-to-data mapping: one thread per element, i = blockIdx.x · blockDim.x + threadIdx.x.
// atomicAdd makes each read-add-write indivisible, so no addition is lost when threads collide.
//
// Why it is slow: every atomic targets the same address, so the memory system performs them one after
// another — n serialized operations however many threads run. And the result is not reproducible:
// float addition is not associative, and the order in which the atomics land changes from run to run.
// Step 2 adds within a block first (a tree in shared memory), so the partial sums, not the elements,
// are what remain to combine.

extern "C" __global__ void sum_atomic(const float* x, int n, float* total)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        atomicAdd(total, x[i]);
}
