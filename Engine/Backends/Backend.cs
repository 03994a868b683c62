using CudaBert.Engine.Cpu;

namespace CudaBert.Engine.Backends;

/// <summary>The backend of each device. The CPU one always exists; a CUDA backend registers itself when a GPU is found.</summary>
public static class Backend
{
    private static readonly IBackend?[] ByDevice = [CpuBackend.Instance, null];

    public static IBackend For(Device device) =>
        ByDevice[(int)device] ?? throw new InvalidOperationException($"no backend is registered for device {device}");

    public static void Register(IBackend backend) => ByDevice[(int)backend.Device] = backend;

    public static bool IsAvailable(Device device) => ByDevice[(int)device] is not null;
}
