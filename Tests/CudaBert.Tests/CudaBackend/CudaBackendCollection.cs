using CudaBert.Engine.Cuda;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>
/// Tests of <see cref="CudaBackend"/> share the process-wide <c>Device.Cuda</c> backend, so they run
/// one at a time. The device is the software GPU with the full sanitizer (any race, out-of-bounds
/// or uninitialized read fails the launch); with <c>CUDABERT_TEST_CUDA_DEVICE=driver</c> on a GPU
/// machine they run on the real GPU instead.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CudaBackendCollection : ICollectionFixture<CudaTestDevice>
{
    public const string Name = "CUDA backend";
}

/// <summary>Registers the test device as the <c>Device.Cuda</c> backend once for the collection.</summary>
public sealed class CudaTestDevice : IDisposable
{
    public const string Variable = "CUDABERT_TEST_CUDA_DEVICE";

    public CudaTestDevice()
    {
        ICudaDevice? device = null;
        if (Environment.GetEnvironmentVariable(Variable) == "driver" && !CudaDevices.TryOpenDriver(out device, out string reason))
            throw new InvalidOperationException($"{Variable}=driver: {reason}");
        Gpu = device ?? new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true, ThrowOnReport = true });
        Backend = CudaBackend.Use(Gpu);
    }

    public ICudaDevice Gpu { get; }

    public CudaBackend Backend { get; }

    /// <summary>No sanitizer finding so far (the real GPU has no sanitizer: nothing to check there).</summary>
    public void AssertNoSanitizerFindings() => BertKernels.KernelAssert.NoSanitizerFindings(Gpu);

    public void Dispose()
    {
        Backend.Allocator.EmptyCache();
        Gpu.Dispose();
    }
}
