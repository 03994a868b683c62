using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Course;

/// <summary>
/// Total[0] = Σ X over N floats, on device buffers; <see cref="Workspace"/> holds the partial sums
/// (<see cref="SumCourse.WorkspaceBytes"/> bytes).
/// </summary>
public sealed record SumProblem(int N, DevicePtr X, DevicePtr Total, DevicePtr Workspace)
{
    /// <summary>The bytes a sum must move: x read once.</summary>
    public double Bytes => (double)N * sizeof(float);
}

/// <summary>
/// The reduction progression (Kernels/course/reduction): atomics, a tree in shared memory, warp
/// shuffles after a grid-stride loop, then the backend's sum (Kernels/bert/sum.cu).
/// </summary>
public static class SumCourse
{
    const int Threads = 256;
    /// <summary>Blocks of step 3's first launch per multiprocessor (enough resident warps to hide memory latency).</summary>
    const int BlocksPerMultiprocessor = 8;

    public static IReadOnlyList<CourseStep<SumProblem>> Steps { get; } =
    [
        new(1, "atomic per element", "Kernels/course/reduction/1_atomic.cu", Atomic),
        new(2, "shared-memory tree", "Kernels/course/reduction/2_shared_tree.cu", SharedTree),
        new(3, "grid stride + warp shuffle", "Kernels/course/reduction/3_warp_shuffle.cu", WarpShuffle),
        new(4, "backend", "Kernels/bert/sum.cu", Backend, Backend: true),
    ];

    /// <summary>Scratch for every step: step 2's partials of all levels (n/512 + n/512² + ... floats) and the backend's.</summary>
    public static long WorkspaceBytes(int n) =>
        Math.Max(SumKernels.SumWorkspaceBytes(n), (2L * CoursePtx.CeilDiv(n, 2 * Threads) + 64) * sizeof(float));

    static void Atomic(ICudaDevice gpu, SumProblem p)
    {
        gpu.Memset(p.Total, 0, sizeof(float));
        gpu.Launch(CoursePtx.Function(gpu, "course/reduction/1_atomic", "sum_atomic"),
            CoursePtx.CeilDiv(p.N, Threads), Threads, 0, null, new KernelArgs().Ptr(p.X).I32(p.N).Ptr(p.Total));
    }

    // Each launch turns `count` values into ⌈count / 512⌉ partials, written after the previous level's in the
    // workspace; the launch that leaves one value writes it to Total.
    static void SharedTree(ICudaDevice gpu, SumProblem p)
    {
        var kernel = CoursePtx.Function(gpu, "course/reduction/2_shared_tree", "block_reduce_sum");
        DevicePtr input = p.X, output = p.Workspace;
        for (int count = p.N; ;)
        {
            int blocks = CoursePtx.CeilDiv(count, 2 * Threads);
            var destination = blocks == 1 ? p.Total : output;
            gpu.Launch(kernel, blocks, Threads, Threads * sizeof(float), null, new KernelArgs().Ptr(input).Ptr(destination).I32(count));
            if (blocks == 1) return;
            input = output;
            output = output.Offset((long)blocks * sizeof(float));
            count = blocks;
        }
    }

    // First launch: a grid sized to the device leaves one partial per block; second: one block adds them.
    static void WarpShuffle(ICudaDevice gpu, SumProblem p)
    {
        var kernel = CoursePtx.Function(gpu, "course/reduction/3_warp_shuffle", "sum_warp_shuffle");
        int blocks = Math.Min(CoursePtx.CeilDiv(p.N, Threads), BlocksPerMultiprocessor * Math.Max(1, gpu.Info.MultiprocessorCount));
        gpu.Launch(kernel, blocks, Threads, 0, null, new KernelArgs().Ptr(p.X).I32(p.N).Ptr(p.Workspace));
        gpu.Launch(kernel, 1, Threads, 0, null, new KernelArgs().Ptr(p.Workspace).I32(blocks).Ptr(p.Total));
    }

    static void Backend(ICudaDevice gpu, SumProblem p) => SumKernels.Sum(gpu, p.X, p.N, p.Total, p.Workspace);
}
