using CudaBert.Engine.Cuda;
using CudaBert.Kernels.Driver;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>Which device <c>Device.Cuda</c> opens by default: the real GPU, else the software GPU only when asked for.</summary>
[Collection(CudaBackendCollection.Name)]
public class DeviceSelectionTests
{
    [Fact]
    public void WithoutAGpuTheSoftwareGpuIsUsedOnlyWhenAsked()
    {
        if (CudaDevices.TryOpenDriver(out var gpu, out _))
        {
            gpu.Dispose();
            Assert.Skip("a real GPU is present: it is always the default");
        }
        string? saved = Environment.GetEnvironmentVariable(CudaDeviceSelection.SoftwareGpuVariable);
        try
        {
            Environment.SetEnvironmentVariable(CudaDeviceSelection.SoftwareGpuVariable, null);
            Assert.False(CudaDeviceSelection.TryOpenDefault(out var none, out string reason));
            Assert.Null(none);
            Assert.StartsWith("no CUDA device: ", reason);
            Assert.Contains($"set {CudaDeviceSelection.SoftwareGpuVariable}=1", reason);

            Environment.SetEnvironmentVariable(CudaDeviceSelection.SoftwareGpuVariable, "1");
            Assert.True(CudaDeviceSelection.TryOpenDefault(out var software, out reason));
            using (software)
            {
                Assert.True(software.Info.IsSoftware);
                Assert.StartsWith("software GPU", reason);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaDeviceSelection.SoftwareGpuVariable, saved);
        }
    }
}
