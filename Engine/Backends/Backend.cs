using CudaBert.Engine.Cpu;
using CudaBert.Engine.Cuda;

namespace CudaBert.Engine.Backends;

/// <summary>
/// The backend of each device. The CPU one always exists; the CUDA one is opened on first use of
/// <see cref="Device.Cuda"/> (the real GPU, or the software GPU when asked for: see
/// <see cref="CudaDeviceSelection"/>), or registered explicitly with <see cref="Register"/>.
/// </summary>
public static class Backend
{
    private static readonly IBackend?[] ByDevice = [CpuBackend.Instance, null];
    private static readonly Lock Gate = new();

    /// <summary>
    /// The backend of <paramref name="device"/>, opening the CUDA one on first use. Throws
    /// <see cref="InvalidOperationException"/> with the driver's reason when the device has none.
    /// </summary>
    public static IBackend For(Device device) => ByDevice[(int)device] ?? OpenOnFirstUse(device);

    /// <summary>
    /// Makes <paramref name="backend"/> the one of its <see cref="IBackend.Device"/>, replacing any
    /// previous one (e.g. a CUDA backend over the software GPU). Tensors made before keep their storage.
    /// </summary>
    public static void Register(IBackend backend)
    {
        lock (Gate) ByDevice[(int)backend.Device] = backend;
    }

    /// <summary>Whether <paramref name="device"/> has a backend (for CUDA: trying to open the default device).</summary>
    public static bool IsAvailable(Device device) => TryGet(device, out _, out _);

    private static IBackend OpenOnFirstUse(Device device) =>
        TryGet(device, out var backend, out string reason) ? backend : throw new InvalidOperationException($"no backend for device {device}: {reason}");

    private static bool TryGet(Device device, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IBackend? backend, out string reason)
    {
        lock (Gate)
        {
            reason = "";
            backend = ByDevice[(int)device];
            if (backend is null && device == Device.Cuda && CudaBackend.TryCreateDefault(out var cuda, out reason))
                ByDevice[(int)device] = backend = cuda;
            return backend is not null;
        }
    }
}
