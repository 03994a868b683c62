using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Course;

/// <summary>y = softmax of each row of x ([Rows, Cols] row-major float) on device buffers.</summary>
public sealed record SoftmaxProblem(int Rows, int Cols, DevicePtr X, DevicePtr Y)
{
    /// <summary>The bytes a softmax must move: x read once, y written once.</summary>
    public double Bytes => 2.0 * Rows * Cols * sizeof(float);
}

/// <summary>
/// The softmax progression (Kernels/course/softmax): a thread, a block, then a warp per row, then the
/// backend's kernel (Kernels/bert/softmax.cu, unmasked, scale 1).
/// </summary>
public static class SoftmaxCourse
{
    const int Threads = 128;

    public static IReadOnlyList<CourseStep<SoftmaxProblem>> Steps { get; } =
    [
        new(1, "thread per row", "Kernels/course/softmax/1_thread_per_row.cu", ThreadPerRow),
        new(2, "block per row", "Kernels/course/softmax/2_block_per_row.cu", BlockPerRow),
        new(3, "warp per row, online", "Kernels/course/softmax/3_warp_per_row_online.cu", WarpPerRowOnline),
        new(4, "backend", "Kernels/bert/softmax.cu", Backend, Backend: true),
    ];

    static void ThreadPerRow(ICudaDevice gpu, SoftmaxProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/softmax/1_thread_per_row", "softmax_thread_per_row"),
            CoursePtx.CeilDiv(p.Rows, Threads), Threads, 0, null, new KernelArgs().Ptr(p.X).Ptr(p.Y).I32(p.Rows).I32(p.Cols));

    // One block per row; 128 threads whatever the row length (a longer row gives each thread more columns).
    static void BlockPerRow(ICudaDevice gpu, SoftmaxProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/softmax/2_block_per_row", "softmax_rows"),
            p.Rows, Threads, 0, null, new KernelArgs().Ptr(p.X).Ptr(p.Y).I32(p.Cols));

    // One warp per row: 4 rows per block of 128 threads.
    static void WarpPerRowOnline(ICudaDevice gpu, SoftmaxProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/softmax/3_warp_per_row_online", "softmax_warp_per_row_online"),
            CoursePtx.CeilDiv(p.Rows, Threads / 32), Threads, 0, null, new KernelArgs().Ptr(p.X).Ptr(p.Y).I32(p.Rows).I32(p.Cols));

    static void Backend(ICudaDevice gpu, SoftmaxProblem p) =>
        SoftmaxKernels.Forward(gpu, p.X, DevicePtr.Null, p.Y, p.Rows, p.Cols, p.Rows, 1f);
}
