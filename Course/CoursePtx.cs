using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Course;

/// <summary>The PTX of Kernels/course, embedded in this assembly: "course/gemm/1_naive", ...</summary>
public static class CoursePtx
{
    public static PtxModuleSet Modules { get; } = PtxModuleSet.Embedded(typeof(CoursePtx).Assembly);

    /// <summary>Kernel <paramref name="kernel"/> of module <paramref name="module"/> on <paramref name="device"/> (the device caches both).</summary>
    public static CudaFunction Function(ICudaDevice device, string module, string kernel) =>
        device.GetFunction(Modules.Load(device, module), kernel);

    public static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
