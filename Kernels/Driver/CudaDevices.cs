using System.Diagnostics.CodeAnalysis;
using CudaBert.Kernels.Device;
using static CudaBert.Kernels.Driver.CudaDriverApi;

namespace CudaBert.Kernels.Driver;

/// <summary>
/// Opens the real GPU, or says why there is none. Never throws for a missing or broken driver:
/// a machine without one must keep working on the CPU path.
/// </summary>
public static class CudaDevices
{
    /// <summary>Opens GPU 0 through the CUDA driver.</summary>
    public static bool TryOpenDriver([NotNullWhen(true)] out ICudaDevice? device, out string reason) =>
        TryOpenDriver(0, out device, out reason);

    /// <summary>
    /// Opens GPU <paramref name="ordinal"/> through the CUDA driver. On success <paramref name="reason"/>
    /// describes the device; otherwise it starts with "no CUDA device: " and says why.
    /// </summary>
    public static bool TryOpenDriver(int ordinal, [NotNullWhen(true)] out ICudaDevice? device, out string reason)
    {
        device = null;
        if (!NativeLibraries.TryLoad(NativeLibraries.Cuda, out string library))
        {
            reason = $"no CUDA device: the NVIDIA driver library was not found ({library})";
            return false;
        }
        try
        {
            int result = cuInit(0);
            if (result != 0)
            {
                reason = $"no CUDA device: cuInit failed: {CudaDriverDevice.ErrorName(result)} ({result}): {CudaDriverDevice.ErrorText(result)}";
                return false;
            }
            result = cuDeviceGetCount(out int count);
            if (result != 0 || count == 0)
            {
                reason = result != 0
                    ? $"no CUDA device: cuDeviceGetCount failed: {CudaDriverDevice.ErrorName(result)}"
                    : "no CUDA device: the driver found no GPU";
                return false;
            }
            if (ordinal < 0 || ordinal >= count)
            {
                reason = $"no CUDA device: GPU {ordinal} was asked for, the driver found {count}";
                return false;
            }
            var opened = new CudaDriverDevice(ordinal);
            var info = opened.Info;
            reason = $"GPU {ordinal}: {info.Name}, compute capability {info.ComputeCapabilityMajor}.{info.ComputeCapabilityMinor}, " +
                     $"{info.MultiprocessorCount} SMs, {info.TotalMemoryBytes / (1024 * 1024)} MiB, driver for CUDA {Ptx.PtxIsaVersion.FormatCudaVersion(info.DriverVersion)} ({library})";
            device = opened;
            return true;
        }
        catch (CudaException e)
        {
            reason = $"no CUDA device: {e.Message}";
            return false;
        }
        catch (EntryPointNotFoundException e)
        {
            reason = $"no CUDA device: {library} lacks a CUDA driver entry point ({e.Message})";
            return false;
        }
    }
}
