using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;

namespace CudaBert.Tests.Kernels;

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

    // ---- HOOK: the software GPU -----------------------------------------------------------------
    // Owned by the software-GPU engineer (Kernels/SoftwareGpu/**), who may edit this method. Until the
    // type exists, the tests skip on the software GPU. Once it lands, replace the reflection lookup
    // with a direct `new SoftwareGpuDevice(...)` (with the sanitizer on, so every clean kernel is also
    // checked for races and out-of-bounds accesses).
    static ICudaDevice? CreateSoftwareGpu(out string reason)
    {
        const string typeName = "CudaBert.Kernels.SoftwareGpu.SoftwareGpuDevice";
        var type = typeof(ICudaDevice).Assembly.GetType(typeName);
        if (type is null)
        {
            reason = $"the software GPU ({typeName}) is not built yet";
            return null;
        }
        // The constructor whose parameters are all optional, called with their defaults.
        var constructor = type.GetConstructors().First(c => c.GetParameters().All(p => p.IsOptional));
        reason = "";
        return (ICudaDevice)constructor.Invoke(constructor.GetParameters().Select(_ => Type.Missing).ToArray());
    }
}
