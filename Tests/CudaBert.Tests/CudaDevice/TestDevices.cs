using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.CudaDevice;

/// <summary>
/// The devices every kernel test runs on: the real GPU through the CUDA driver, and the software GPU
/// (our PTX interpreter). A test takes the device kind as a theory parameter and opens a fresh
/// device with <see cref="Open"/>; when that kind is not available here the test is skipped with the
/// reason, so the same test code covers CI (software GPU only) and a GPU machine (both).
/// <code>
/// [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
/// public void Adds(string device) { using var gpu = TestDevices.Open(device); ... }
/// </code>
/// </summary>
public static class TestDevices
{
    public const string Driver = "driver";
    public const string Software = "software";

    public static TheoryData<string> Kinds => [Driver, Software];

    /// <summary>A new device of <paramref name="kind"/> (dispose it), or the test is skipped with the reason.</summary>
    public static ICudaDevice Open(string kind)
    {
        ICudaDevice? device;
        string reason;
        switch (kind)
        {
            case Driver:
                CudaDevices.TryOpenDriver(out device, out reason);
                break;
            case Software:
                device = CreateSoftwareGpu(out reason);
                break;
            default:
                throw new ArgumentException($"Unknown device kind '{kind}': expected '{Driver}' or '{Software}'.", nameof(kind));
        }
        if (device is null)
            Assert.Skip(reason);
        return device;
    }

    // The software GPU (Kernels/SoftwareGpu/) with its sanitizer fully on: any finding fails the
    // launch, so every clean kernel test is also a check for races, out-of-bounds and uninitialized
    // reads, and for barriers every thread reaches.
    static ICudaDevice? CreateSoftwareGpu(out string reason)
    {
        reason = "";
        return new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true, ThrowOnReport = true });
    }
}
