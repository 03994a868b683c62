using System.Runtime.InteropServices;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Opening the real driver: on a machine without one it says why and nothing crashes.</summary>
public class CudaDriverTests
{
    [Fact]
    public void OpeningNeverThrowsAndExplainsAFailure()
    {
        bool opened = CudaDevices.TryOpenDriver(out var device, out string reason);
        using (device)
        {
            if (opened)
            {
                Assert.NotNull(device);
                Assert.False(device.Info.IsSoftware);
                Assert.True(device.Info.DriverVersion >= 11080, reason);
            }
            else
            {
                Assert.Null(device);
                Assert.StartsWith("no CUDA device: ", reason);
            }
        }
    }

    [Fact]
    public void WithoutTheDriverLibraryTheReasonNamesIt()
    {
        string library = OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";
        if (NativeLibrary.TryLoad(library, out nint handle))
        {
            NativeLibrary.Free(handle);
            Assert.Skip($"{library} is installed here");
        }
        Assert.False(CudaDevices.TryOpenDriver(out _, out string reason));
        Assert.Contains(library, reason);
        Assert.Contains("not found", reason);
    }

    [Fact]
    public void AMissingGpuOrdinalIsReportedNotThrown()
    {
        Assert.False(CudaDevices.TryOpenDriver(1_000, out var device, out string reason));
        Assert.Null(device);
        Assert.StartsWith("no CUDA device: ", reason);
    }

    [Fact]
    public void CudaExceptionNamesCallErrorAndKernel()
    {
        var error = new CudaException("cuLaunchKernel", 1, "CUDA_ERROR_INVALID_VALUE", "vector_add", "invalid argument");
        Assert.Equal("cuLaunchKernel failed: CUDA_ERROR_INVALID_VALUE (1) in kernel 'vector_add': invalid argument", error.Message);
    }
}
