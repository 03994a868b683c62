using System.Diagnostics.CodeAnalysis;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Engine.Cuda;

/// <summary>
/// Which device <see cref="Device.Cuda"/> tensors live on when nobody chose one: the real GPU
/// through the CUDA driver; or, only when asked with <c>CUDABERT_SOFTWARE_GPU=1</c>, the software
/// GPU (our PTX interpreter: correct but thousands of times slower, for machines without a GPU).
/// A program can also choose with <see cref="CudaBackend.Use"/>.
/// </summary>
public static class CudaDeviceSelection
{
    /// <summary>Set to 1 to run <see cref="Device.Cuda"/> tensors on the software GPU when no real GPU is found.</summary>
    public const string SoftwareGpuVariable = "CUDABERT_SOFTWARE_GPU";

    /// <summary>True when <see cref="SoftwareGpuVariable"/> is set to 1 in this process's environment.</summary>
    public static bool SoftwareGpuRequested => Environment.GetEnvironmentVariable(SoftwareGpuVariable) == "1";

    /// <summary>Opens the default device; otherwise <paramref name="reason"/> says why there is none and how to get one.</summary>
    public static bool TryOpenDefault([NotNullWhen(true)] out ICudaDevice? device, out string reason)
    {
        if (CudaDevices.TryOpenDriver(out device, out reason)) return true;
        if (SoftwareGpuRequested)
        {
            device = new SoftwareGpuDevice();
            reason = $"software GPU ({SoftwareGpuVariable}=1; {reason})";
            return true;
        }
        reason += $"; set {SoftwareGpuVariable}=1 to run CUDA tensors on the software GPU (a slow PTX interpreter)";
        return false;
    }
}
