using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>Helpers for tests that write small PTX kernels by hand, in the style NVRTC emits.</summary>
static class Ptx
{
    /// <summary>A module with one kernel: <paramref name="parameters"/> are ".param ..." lines, <paramref name="body"/> the declarations and instructions.</summary>
    public static string Module(string kernel, string parameters, string body) => $$"""
        .version 7.8
        .target sm_80
        .address_size 64

        .visible .entry {{kernel}}(
        {{parameters}}
        )
        {
        {{body}}
        }
        """;

    /// <summary>Loads <paramref name="ptx"/> on <paramref name="device"/> and returns kernel <paramref name="kernel"/>.</summary>
    public static CudaFunction Load(SoftwareGpuDevice device, string kernel, string ptx, string? moduleName = null) =>
        device.GetFunction(device.LoadModule(moduleName ?? kernel + "_" + ptx.GetHashCode().ToString("x"), ptx), kernel);

    public static DevicePtr Upload<T>(ICudaDevice device, T[] data) where T : unmanaged
    {
        var p = device.Allocate(System.Runtime.InteropServices.Marshal.SizeOf<T>() * (long)data.Length);
        device.CopyToDevice<T>(data, p);
        return p;
    }

    public static T[] Download<T>(ICudaDevice device, DevicePtr p, int count) where T : unmanaged
    {
        var result = new T[count];
        device.CopyToHost<T>(p, result);
        return result;
    }
}
