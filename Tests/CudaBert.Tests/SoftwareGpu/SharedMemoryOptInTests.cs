using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Kernels.Ptx;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.BertKernels;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// The software GPU's shared-memory limits are the hardware's: up to 48 KB per block (static plus dynamic)
/// as is; more only after cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES), which
/// <see cref="ICudaDevice.SetMaxDynamicSharedBytes"/> wraps, and never past 227 KB. A kernel that forgets
/// the opt-in fails here as it would on a GPU, with an error naming it.
/// </summary>
public class SharedMemoryOptInTests
{
    const int Chunks = 32, Tiles = 2;   // cp_async_copy: one block of 32 threads, 2 tiles of 32 chunks

    static void CopyWithDynamicShared(SoftwareGpuDevice gpu, CudaFunction kernel, int bytes)
    {
        float[] input = TestInputs.NonZero(16, Tiles * Chunks * 4);
        using DeviceArray<float> din = new(gpu, input), dout = new(gpu, input.Length);
        gpu.Launch(kernel, 1, Chunks, bytes, null, new KernelArgs().Ptr(din.Ptr).Ptr(dout.Ptr).I32(Tiles));
    }

    [Fact]
    public void MoreThan48KilobytesNeedsTheOptIn()
    {
        using var gpu = new SoftwareGpuDevice();
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/cp_async_copy"), "cp_async_copy");
        Assert.Equal(0, gpu.KernelOf(kernel).StaticSharedBytes);

        CopyWithDynamicShared(gpu, kernel, 48 * 1024);
        var refused = Assert.Throws<CudaException>(() => CopyWithDynamicShared(gpu, kernel, 48 * 1024 + 16));
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", refused.ErrorName);
        Assert.Equal("cp_async_copy", refused.Kernel);
        Assert.Contains("cuFuncSetAttribute", refused.Message);

        gpu.SetMaxDynamicSharedBytes(kernel, 100 * 1024);
        CopyWithDynamicShared(gpu, kernel, 100 * 1024);
        var past = Assert.Throws<CudaException>(() => CopyWithDynamicShared(gpu, kernel, 100 * 1024 + 16));
        Assert.Contains("limit of 102400 bytes set by cuFuncSetAttribute", past.Message);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Fact]
    public void TheOptInStopsAt227Kilobytes()
    {
        using var gpu = new SoftwareGpuDevice();
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/cp_async_copy"), "cp_async_copy");
        gpu.SetMaxDynamicSharedBytes(kernel, 227 * 1024);
        var e = Assert.Throws<CudaException>(() => gpu.SetMaxDynamicSharedBytes(kernel, 227 * 1024 + 16));
        Assert.Equal("cuFuncSetAttribute", e.Call);
        Assert.Equal("cp_async_copy", e.Kernel);
    }

    [Fact]
    public void TheTensorCoreGemmFailsWithoutItsOptIn()
    {
        // What GemmKernels.Tf32 does for the kernel, less the cuFuncSetAttribute: the launch is refused
        // before anything runs (the arguments are never read).
        using var gpu = new SoftwareGpuDevice();
        var kernel = gpu.GetFunction(PtxModules.Load(gpu, "bert/gemm_tf32"), "gemm_tf32_128_nn");
        int bytes = GemmKernels.Tf32SharedBytes(128);
        Assert.Equal(110_592, bytes);
        var e = Assert.Throws<CudaException>(() => gpu.Launch(kernel, 1, 128, bytes, null, new KernelArgs()));
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", e.ErrorName);
        Assert.Equal("gemm_tf32_128_nn", e.Kernel);
        Assert.Contains($"{bytes} bytes of dynamic shared memory exceed the kernel's limit of 49152 bytes", e.Message);
    }
}
