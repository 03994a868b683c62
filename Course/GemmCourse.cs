using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Course;

/// <summary>C = alpha · A · B + beta · C on device buffers: A is M×K, B is K×N, C is M×N, all row-major float.</summary>
public sealed record GemmProblem(int M, int N, int K, float Alpha, DevicePtr A, DevicePtr B, float Beta, DevicePtr C)
{
    public double Flops => 2.0 * M * N * K;
}

/// <summary>
/// The GEMM progression (Kernels/course/gemm): naive → shared-memory tiles → register tiles → tensor
/// cores, then the backend's two kernels (Kernels/bert/gemm_simt.cu and gemm_tf32.cu).
/// </summary>
public static class GemmCourse
{
    public static IReadOnlyList<CourseStep<GemmProblem>> Steps { get; } =
    [
        new(1, "naive", "Kernels/course/gemm/1_naive.cu", Naive),
        new(2, "shared-memory tiled", "Kernels/course/gemm/2_shared_tiled.cu", SharedTiled),
        new(3, "register tiled", "Kernels/course/gemm/3_register_tiled.cu", RegisterTiled),
        new(4, "mma.sync TF32", "Kernels/course/gemm/4_mma_tf32.cu", MmaTf32, Tf32: true),
        new(5, "backend SIMT", "Kernels/bert/gemm_simt.cu", BackendSimt, Backend: true),
        new(6, "backend TF32", "Kernels/bert/gemm_tf32.cu", BackendTf32, Backend: true, Tf32: true),
    ];

    // One thread per element of C: 16×16 blocks.
    static void Naive(ICudaDevice gpu, GemmProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/gemm/1_naive", "gemm_naive"),
            new Dim3((uint)CoursePtx.CeilDiv(p.N, 16), (uint)CoursePtx.CeilDiv(p.M, 16)), new Dim3(16, 16), 0, null, Arguments(p));

    // One 16×16 tile of C per block of 16×16 threads.
    static void SharedTiled(ICudaDevice gpu, GemmProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/gemm/2_shared_tiled", "tiled_gemm"),
            new Dim3((uint)CoursePtx.CeilDiv(p.N, 16), (uint)CoursePtx.CeilDiv(p.M, 16)), new Dim3(16, 16), 0, null, Arguments(p));

    // One 64×64 tile of C per block of 16×16 threads (4×4 outputs each).
    static void RegisterTiled(ICudaDevice gpu, GemmProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/gemm/3_register_tiled", "gemm_register_tiled"),
            new Dim3((uint)CoursePtx.CeilDiv(p.N, 64), (uint)CoursePtx.CeilDiv(p.M, 64)), new Dim3(16, 16), 0, null, Arguments(p));

    // One 64×64 tile of C per block of 4 warps (32×32 each).
    static void MmaTf32(ICudaDevice gpu, GemmProblem p) =>
        gpu.Launch(CoursePtx.Function(gpu, "course/gemm/4_mma_tf32", "gemm_mma_tf32"),
            new Dim3((uint)CoursePtx.CeilDiv(p.N, 64), (uint)CoursePtx.CeilDiv(p.M, 64)), 128, 0, null, Arguments(p));

    static void BackendSimt(ICudaDevice gpu, GemmProblem p) =>
        GemmKernels.Simt(gpu, false, false, 1, p.M, p.N, p.K, p.Alpha, p.A, p.B, p.Beta, p.C);

    /// <summary>Needs N and K multiples of 4 (16-byte rows for its cp.async copies); the launcher says so otherwise.</summary>
    static void BackendTf32(ICudaDevice gpu, GemmProblem p) =>
        GemmKernels.Tf32(gpu, false, false, 1, p.M, p.N, p.K, p.Alpha, p.A, p.B, p.Beta, p.C);

    static KernelArgs Arguments(GemmProblem p) =>
        new KernelArgs().I32(p.M).I32(p.N).I32(p.K).F32(p.Alpha).Ptr(p.A).Ptr(p.B).F32(p.Beta).Ptr(p.C);
}
