using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Course;

/// <summary>
/// y = LayerNorm(x)·γ + β over each row of x ([Rows, Cols] row-major float), with the mean and
/// 1/√(variance + ε) of each row saved (for the backward), on device buffers.
/// </summary>
public sealed record LayerNormProblem(int Rows, int Cols, float Eps, DevicePtr X, DevicePtr Gamma, DevicePtr Beta,
    DevicePtr Y, DevicePtr Mean, DevicePtr Rstd)
{
    /// <summary>The bytes a layer norm must move: x read and y written once, γ and β read, two floats per row saved.</summary>
    public double Bytes => (2.0 * Rows * Cols + 2.0 * Cols + 2.0 * Rows) * sizeof(float);
}

/// <summary>
/// The layer-norm progression (Kernels/course/layernorm): a thread, then a warp per row, then the
/// backend's kernel (Kernels/bert/layernorm.cu, forward).
/// </summary>
public static class LayerNormCourse
{
    const int Threads = 128;

    public static IReadOnlyList<CourseStep<LayerNormProblem>> Steps { get; } =
    [
        new(1, "thread per row", "Kernels/course/layernorm/1_thread_per_row.cu", ThreadPerRow),
        new(2, "warp per row", "Kernels/course/layernorm/2_warp_per_row.cu", WarpPerRow),
        new(3, "backend", "Kernels/bert/layernorm.cu", Backend, Backend: true),
    ];

    static void ThreadPerRow(ICudaDevice gpu, LayerNormProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/layernorm/1_thread_per_row", "layernorm_thread_per_row"),
            CoursePtx.CeilDiv(p.Rows, Threads), Threads, 0, null, Arguments(p));

    // One warp per row: 4 rows per block of 128 threads.
    static void WarpPerRow(ICudaDevice gpu, LayerNormProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/layernorm/2_warp_per_row", "layernorm_warp_per_row"),
            CoursePtx.CeilDiv(p.Rows, Threads / 32), Threads, 0, null, Arguments(p));

    static void Backend(ICudaDevice gpu, LayerNormProblem p) =>
        LayerNormKernels.Forward(gpu, p.X, p.Gamma, p.Beta, p.Y, p.Mean, p.Rstd, p.Rows, p.Cols, p.Eps);

    static KernelArgs Arguments(LayerNormProblem p) =>
        new KernelArgs().Ptr(p.X).Ptr(p.Gamma).Ptr(p.Beta).Ptr(p.Y).Ptr(p.Mean).Ptr(p.Rstd).I32(p.Rows).I32(p.Cols).F32(p.Eps);
}
